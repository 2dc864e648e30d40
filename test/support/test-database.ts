/** The e2e suite's own database, recreated for every run and dropped afterwards. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mediagen_test';
