import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Watching a job live: the running attempt's progress and the history of every attempt. */
export class JobProgressAndAttemptHistory1795600000000 implements MigrationInterface {
  name = 'JobProgressAndAttemptHistory1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "progress" jsonb`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "attempt_history" jsonb NOT NULL DEFAULT '[]'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "attempt_history"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "progress"`);
  }
}
