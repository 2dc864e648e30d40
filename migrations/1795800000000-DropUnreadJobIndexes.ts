import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No query reads jobs by status and creation time, or by creation time alone (listing goes by
 * owner, the sweep by status and update time, retention by completion time), yet every insert
 * and status change kept both indexes up to date.
 */
export class DropUnreadJobIndexes1795800000000 implements MigrationInterface {
  name = 'DropUnreadJobIndexes1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."jobs_status_created_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."jobs_created_at_idx"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "jobs_created_at_idx" ON "jobs" ("created_at")`);
    await queryRunner.query(`CREATE INDEX "jobs_status_created_at_idx" ON "jobs" ("status", "created_at")`);
  }
}
