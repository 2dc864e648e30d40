import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Retention: when a job's media was deleted, and an index to find ended jobs by age. */
export class OutputsExpiry1795583900000 implements MigrationInterface {
  name = 'OutputsExpiry1795583900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "outputs_expired_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "jobs_completed_at_idx" ON "jobs" ("completed_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_completed_at_idx"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "outputs_expired_at"`);
  }
}
