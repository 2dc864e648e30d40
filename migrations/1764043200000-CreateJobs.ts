import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1764043200000 implements MigrationInterface {
  name = 'CreateJobs1764043200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "jobs" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "status" text NOT NULL,
        "prompt" text NOT NULL,
        "model" text NOT NULL,
        "input" jsonb NOT NULL DEFAULT '{}',
        "attempts" integer NOT NULL DEFAULT 0,
        "max_attempts" integer NOT NULL,
        "error" jsonb,
        "outputs" jsonb NOT NULL DEFAULT '[]',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "started_at" TIMESTAMP WITH TIME ZONE,
        "completed_at" TIMESTAMP WITH TIME ZONE,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "jobs_status_check" CHECK ("status" IN ('queued', 'processing', 'succeeded', 'failed', 'canceled')),
        CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "jobs_status_created_at_idx" ON "jobs" ("status", "created_at")`);
    await queryRunner.query(`CREATE INDEX "jobs_created_at_idx" ON "jobs" ("created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "jobs"`);
  }
}
