import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The reconciliation sweep looks for queued or processing jobs untouched for a while. */
export class IndexJobsByStatusAndUpdate1764216000000 implements MigrationInterface {
  name = 'IndexJobsByStatusAndUpdate1764216000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "jobs_status_updated_at_idx" ON "jobs" ("status", "updated_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_status_updated_at_idx"`);
  }
}
