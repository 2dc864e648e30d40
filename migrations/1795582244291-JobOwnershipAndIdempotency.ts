import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Jobs belong to an API key, may carry an idempotency key and a webhook; list cursors need ms timestamps. */
export class JobOwnershipAndIdempotency1795582244291 implements MigrationInterface {
  name = 'JobOwnershipAndIdempotency1795582244291';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "owner" text NOT NULL DEFAULT ''`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "idempotency_key" text`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "request_fingerprint" text`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "webhook" jsonb`);
    await queryRunner.query(`ALTER TABLE "jobs" ALTER COLUMN "created_at" TYPE TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "jobs_owner_idempotency_key_uq" ON "jobs" ("owner", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "jobs_owner_created_at_idx" ON "jobs" ("owner", "created_at", "id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_owner_created_at_idx"`);
    await queryRunner.query(`DROP INDEX "jobs_owner_idempotency_key_uq"`);
    await queryRunner.query(`ALTER TABLE "jobs" ALTER COLUMN "created_at" TYPE TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "webhook"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "request_fingerprint"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "idempotency_key"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "owner"`);
  }
}
