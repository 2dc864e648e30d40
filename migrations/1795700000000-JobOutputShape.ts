import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where each output sits in the model's own output (a URL, a list, an object), for Replicate-shaped answers. */
export class JobOutputShape1795700000000 implements MigrationInterface {
  name = 'JobOutputShape1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "output_shape" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "output_shape"`);
  }
}
