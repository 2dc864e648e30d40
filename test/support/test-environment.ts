import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DATABASE_URL } from './test-database';

// Runs before each e2e file: its own Redis key prefix and media folder, fast mock and retries.
const run = randomUUID().slice(0, 8);
Object.assign(process.env, {
  DATABASE_URL: TEST_DATABASE_URL,
  DATABASE_POOL_SIZE: '5',
  QUEUE_PREFIX: `mediagen-test-${run}`,
  STORAGE_LOCAL_DIR: join(tmpdir(), `mediagen-test-${run}`),
  PUBLIC_BASE_URL: 'http://media.test',
  GENERATOR: 'mock',
  // Specs that run the Replicate generator (against the fake) do so without API keys.
  ALLOW_OPEN_API: 'true',
  MOCK_LATENCY_MS: '20',
  MOCK_FAILURE_RATE: '0',
  JOB_ATTEMPTS: '3',
  JOB_BACKOFF_MS: '50',
  WORKER_CONCURRENCY: '8',
  WORKER_HEALTH_PORT: '0',
  // The fakes (upstream files, webhook receivers) listen on loopback, which the egress policy refuses otherwise.
  EGRESS_ALLOW_HOSTS: '127.0.0.1',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
});
