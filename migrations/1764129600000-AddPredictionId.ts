import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddPredictionId1764129600000 implements MigrationInterface {
  name = 'AddPredictionId1764129600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "prediction_id" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "prediction_id"`);
  }
}
