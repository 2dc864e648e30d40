import { dropDatabase } from './scratch-databases';
import { TEST_DATABASE_URL } from './test-database';

export default async function globalTeardown(): Promise<void> {
  await dropDatabase(TEST_DATABASE_URL);
}
