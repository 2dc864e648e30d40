import { queueConfig } from './config.namespaces';
import { InvalidEnvironmentError, parseEnvironment } from './environment';

const REDIS_SETTINGS = [
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'QUEUE_PREFIX',
];

/** queueConfig as the apps read it, with `env` as the only Redis settings. */
function queueWith(env: Record<string, string>) {
  const saved = Object.fromEntries(REDIS_SETTINGS.map((name) => [name, process.env[name]]));
  for (const name of REDIS_SETTINGS) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return queueConfig();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseEnvironment(env);
    return [];
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
}

describe('how the service reaches Redis', () => {
  it('is one server at REDIS_URL by default, with the plain queue prefix', () => {
    expect(queueWith({})).toMatchObject({
      redis: { kind: 'standalone', url: 'redis://127.0.0.1:6379' },
      prefix: 'mediagen',
    });
  });

  it('is a Cluster with REDIS_CLUSTER_NODES, the prefix a hash tag so each queue stays in one slot', () => {
    expect(
      queueWith({
        REDIS_CLUSTER_NODES: 'redis-0:7000, 10.0.0.2:7001,[::1]:7002',
        REDIS_PASSWORD: 'pw',
        QUEUE_PREFIX: 'mg',
      }),
    ).toMatchObject({
      redis: {
        kind: 'cluster',
        nodes: [
          { host: 'redis-0', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        password: 'pw',
      },
      prefix: '{mg}',
    });
  });

  it('is the master the Sentinels name with REDIS_SENTINELS and REDIS_SENTINEL_NAME', () => {
    expect(
      queueWith({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_PASSWORD: 'pw',
        REDIS_SENTINEL_PASSWORD: 'spw',
      }),
    ).toMatchObject({
      redis: {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
        name: 'mymaster',
        password: 'pw',
        sentinelPassword: 'spw',
      },
      prefix: 'mediagen',
    });
  });

  it.each([
    [{ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r:7000' }, 'REDIS_URL, REDIS_CLUSTER_NODES: set only one'],
    [
      { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_URL, REDIS_SENTINELS',
    ],
    [
      { REDIS_CLUSTER_NODES: 'r:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_CLUSTER_NODES, REDIS_SENTINELS',
    ],
    [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS'],
    [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME: applies only with REDIS_SENTINELS'],
    [{ REDIS_CLUSTER_NODES: 'r:7000', REDIS_SENTINEL_PASSWORD: 'x' }, 'REDIS_SENTINEL_PASSWORD: applies only'],
    [{ REDIS_PASSWORD: 'x' }, 'REDIS_PASSWORD: applies only with REDIS_CLUSTER_NODES or REDIS_SENTINELS'],
    [{ REDIS_CLUSTER_NODES: 'r' }, 'REDIS_CLUSTER_NODES must be a comma-separated list of host:port'],
    [{ REDIS_SENTINELS: 's:26379,', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS must be a comma-separated list'],
  ])('refuses to boot with %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([expect.stringContaining(problem)]);
  });

  it('counts an empty value as unset', () => {
    expect(problemsOf({ REDIS_URL: '', REDIS_CLUSTER_NODES: 'r:7000' })).toEqual([]);
  });
});
