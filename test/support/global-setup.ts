import { migrate } from '../../libs/database/src/migrate';
import { dropTestDatabase, TEST_DATABASE_URL } from './test-database';

export default async function globalSetup(): Promise<void> {
  await dropTestDatabase();
  await migrate({ url: TEST_DATABASE_URL, poolSize: 2 });
}
