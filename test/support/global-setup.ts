import { migrate } from '../../libs/database/src/migrate';
import { dropDatabase } from './scratch-databases';
import { TEST_DATABASE_URL } from './test-database';

export default async function globalSetup(): Promise<void> {
  await dropDatabase(TEST_DATABASE_URL);
  await migrate({ url: TEST_DATABASE_URL, poolSize: 2 });
}
