import { resolve } from 'node:path';
import { appConfig, authConfig, egressConfig, generatorConfig, queueConfig, storageConfig } from './config.namespaces';
import { InvalidEnvironmentError, MODEL_REFERENCE_PATTERN, parseEnvironment } from './environment';

/** One API key, as API_KEYS names it: `name:sha256-hex`. */
const KEYS = `alice:${'ab'.repeat(32)}`;

function problemsOf(raw: Record<string, string | undefined>): string[] {
  try {
    parseEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected parseEnvironment to throw');
}

function messageOf(raw: Record<string, string | undefined>): string {
  try {
    parseEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as Error).message;
  }
  throw new Error('expected parseEnvironment to throw');
}

describe('parseEnvironment', () => {
  it('uses the defaults when the environment is empty', () => {
    const env = parseEnvironment({});

    expect(env).toMatchObject({
      PORT: 8000,
      HOST: '0.0.0.0',
      HTTP_BODY_LIMIT_BYTES: 65536,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/mediagen',
      DATABASE_POOL_SIZE: 10,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'mediagen',
      JOB_ATTEMPTS: 3,
      JOB_BACKOFF_MS: 2000,
      WORKER_CONCURRENCY: 4,
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: 'generated_images',
      REPLICATE_DEFAULT_MODEL: 'black-forest-labs/flux-schnell',
      MOCK_LATENCY_MS: 1000,
      MOCK_FAILURE_RATE: 0,
    });
    expect(env.PUBLIC_BASE_URL).toBeUndefined();
    expect(env.GENERATOR).toBeUndefined();
    expect(env.REPLICATE_API_TOKEN).toBeUndefined();
  });

  it('parses numeric settings from strings', () => {
    const env = parseEnvironment({
      PORT: '3000',
      JOB_ATTEMPTS: '5',
      JOB_BACKOFF_MS: '0',
      WORKER_CONCURRENCY: '16',
      MOCK_LATENCY_MS: '250',
      MOCK_FAILURE_RATE: '0.25',
    });

    expect(env.PORT).toBe(3000);
    expect(env.JOB_ATTEMPTS).toBe(5);
    expect(env.JOB_BACKOFF_MS).toBe(0);
    expect(env.WORKER_CONCURRENCY).toBe(16);
    expect(env.MOCK_LATENCY_MS).toBe(250);
    expect(env.MOCK_FAILURE_RATE).toBe(0.25);
  });

  it('keeps valid string settings as given', () => {
    const env = parseEnvironment({
      DATABASE_URL: 'postgresql://app:pw@db:5432/media',
      REDIS_URL: 'rediss://cache.example.com:6380',
      GENERATOR: 'replicate',
      REPLICATE_API_TOKEN: 'r8_token',
      API_KEYS: KEYS,
      REPLICATE_DEFAULT_MODEL: 'stability-ai/sdxl:39ed52f2',
      LOG_LEVEL: 'debug',
    });

    expect(env.DATABASE_URL).toBe('postgresql://app:pw@db:5432/media');
    expect(env.REDIS_URL).toBe('rediss://cache.example.com:6380');
    expect(env.GENERATOR).toBe('replicate');
    expect(env.REPLICATE_DEFAULT_MODEL).toBe('stability-ai/sdxl:39ed52f2');
    expect(env.LOG_LEVEL).toBe('debug');
  });

  describe('with the Replicate generator', () => {
    it.each([
      ['a token', { REPLICATE_API_TOKEN: 'r8_token' }],
      ['GENERATOR=replicate', { GENERATOR: 'replicate', REPLICATE_API_TOKEN: 'r8_token' }],
    ])('refuses to run an open API with %s, naming API_KEYS and the opt-in', (_, raw) => {
      const problems = problemsOf(raw);

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^API_KEYS: .*ALLOW_OPEN_API=true/);
      expect(problems[0]).not.toContain('r8_token');
    });

    it('runs with API keys, or open when ALLOW_OPEN_API=true says so', () => {
      expect(parseEnvironment({ REPLICATE_API_TOKEN: 'r8_token', API_KEYS: KEYS }).API_KEYS).toBe(KEYS);
      expect(parseEnvironment({ REPLICATE_API_TOKEN: 'r8_token', ALLOW_OPEN_API: 'true' }).ALLOW_OPEN_API).toBe(true);
    });

    it('leaves the mock generator open by default, a token or not', () => {
      expect(parseEnvironment({}).ALLOW_OPEN_API).toBe(false);
      expect(parseEnvironment({ GENERATOR: 'mock', REPLICATE_API_TOKEN: 'r8_token' }).API_KEYS).toBeUndefined();
    });
  });

  it('treats empty strings as unset, falling back to the defaults', () => {
    const env = parseEnvironment({ PORT: '', DATABASE_URL: '', GENERATOR: '', MOCK_FAILURE_RATE: '', LOG_LEVEL: '' });

    expect(env.PORT).toBe(8000);
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/mediagen');
    expect(env.GENERATOR).toBeUndefined();
    expect(env.MOCK_FAILURE_RATE).toBe(0);
    expect(env.LOG_LEVEL).toBe('info');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['JOB_ATTEMPTS', '0'],
    ['WORKER_CONCURRENCY', '0'],
    ['MOCK_FAILURE_RATE', '1.5'],
    ['MOCK_FAILURE_RATE', '-0.1'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['PUBLIC_BASE_URL', 'ftp://media.example.com'],
    ['STORAGE_DRIVER', 'ftp'],
    ['GENERATOR', 'dalle'],
    ['REPLICATE_DEFAULT_MODEL', 'no-slash'],
    ['QUEUE_PREFIX', 'has space'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with an InvalidEnvironmentError naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}\\b`));
    expect(messageOf({ [name]: value })).toContain(name);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'abc', JOB_ATTEMPTS: '0', STORAGE_DRIVER: 'ftp', LOG_LEVEL: 'loud' });

    const named = problems.map((problem) => problem.split(':')[0]);
    expect(named.sort()).toEqual(['JOB_ATTEMPTS', 'LOG_LEVEL', 'PORT', 'STORAGE_DRIVER']);
  });

  it('names the error class so logs make clear what failed', () => {
    expect(() => parseEnvironment({ PORT: 'abc' })).toThrow(
      expect.objectContaining({ name: 'InvalidEnvironmentError' }),
    );
  });

  it.each([
    ['DATABASE_URL', 'mysql://admin:s3cret@db.internal/media'],
    ['DATABASE_URL', 'postgres://admin:s3cret@'],
    ['REDIS_URL', 'http://default:s3cret@cache.internal:6379'],
  ])('never repeats the value of %s in the error, since it may hold a credential', (name, value) => {
    const message = messageOf({ [name]: value });

    expect(message).toContain(name);
    expect(message).not.toContain('s3cret');
    expect(problemsOf({ [name]: value }).join('\n')).not.toContain('s3cret');
  });
});

describe('config namespaces', () => {
  const savedEnv = process.env;
  // Settings the namespaces read; cleared so the developer's own shell cannot change the outcome.
  const SETTINGS = [
    'PORT',
    'HOST',
    'PUBLIC_BASE_URL',
    'GENERATOR',
    'REPLICATE_API_TOKEN',
    'REPLICATE_DEFAULT_MODEL',
    'STORAGE_DRIVER',
    'STORAGE_LOCAL_DIR',
    'MOCK_LATENCY_MS',
    'MOCK_FAILURE_RATE',
    'GENERATOR_MAX_STARTS_PER_MINUTE',
    'REPLICATE_MAX_CREATES_PER_MINUTE',
    'API_KEYS',
    'ALLOW_OPEN_API',
    'LOG_FORMAT',
    'NODE_ENV',
    'WORKER_HEALTH_PORT',
  ];

  beforeEach(() => {
    process.env = { ...savedEnv };
    for (const name of SETTINGS) delete process.env[name];
  });

  afterEach(() => {
    process.env = savedEnv;
    jest.restoreAllMocks();
  });

  describe('generatorConfig', () => {
    // The Replicate generator needs API keys (or an explicit open API) to boot.
    beforeEach(() => {
      process.env.API_KEYS = KEYS;
    });

    it('picks the mock generator when no Replicate token is set', () => {
      expect(generatorConfig().kind).toBe('mock');
    });

    it('picks Replicate when a Replicate token is set', () => {
      process.env.REPLICATE_API_TOKEN = 'r8_token';

      expect(generatorConfig().kind).toBe('replicate');
    });

    it('lets GENERATOR override the choice made from the token', () => {
      process.env.REPLICATE_API_TOKEN = 'r8_token';
      process.env.GENERATOR = 'mock';

      expect(generatorConfig().kind).toBe('mock');
    });

    it('refuses GENERATOR=replicate without a token, naming the missing variable', () => {
      process.env.GENERATOR = 'replicate';

      expect(() => generatorConfig()).toThrow(/REPLICATE_API_TOKEN/);
    });

    it('parses the model allow-list', () => {
      process.env.REPLICATE_API_TOKEN = 'r8_token';
      process.env.REPLICATE_ALLOWED_MODELS = ' acme/one , acme/two:v2 ';

      expect(generatorConfig()).toMatchObject({ allowedModels: ['acme/one', 'acme/two:v2'] });
    });

    it('limits attempt starts to 500 a minute for Replicate and not at all for the mock by default', () => {
      process.env.REPLICATE_API_TOKEN = 'r8_token';
      expect(generatorConfig().startsPerMinute).toBe(500);
      process.env.GENERATOR = 'mock';
      expect(generatorConfig().startsPerMinute).toBeNull();
    });

    it('applies GENERATOR_MAX_STARTS_PER_MINUTE, or its older name, to whichever generator runs', () => {
      process.env.GENERATOR = 'mock';
      process.env.REPLICATE_MAX_CREATES_PER_MINUTE = '120';
      expect(generatorConfig().startsPerMinute).toBe(120);
      process.env.GENERATOR_MAX_STARTS_PER_MINUTE = '2';
      expect(generatorConfig().startsPerMinute).toBe(2);
    });

    it('records the model `mock` for mock jobs that name none, the Replicate default otherwise', () => {
      process.env.REPLICATE_DEFAULT_MODEL = 'acme/painter';
      expect(generatorConfig().defaultModel).toBe('mock');
      process.env.REPLICATE_API_TOKEN = 'r8_token';
      expect(generatorConfig().defaultModel).toBe('acme/painter');
    });

    it('passes the mock latency and failure rate through as numbers', () => {
      process.env.MOCK_LATENCY_MS = '0';
      process.env.MOCK_FAILURE_RATE = '0.5';

      expect(generatorConfig().mock).toEqual({ latencyMs: 0, failureRate: 0.5 });
    });
  });

  describe('appConfig', () => {
    it('derives the public base URL from PORT when PUBLIC_BASE_URL is unset', () => {
      process.env.PORT = '9123';

      expect(appConfig()).toMatchObject({ port: 9123, publicBaseUrl: 'http://localhost:9123' });
    });

    it('strips trailing slashes from PUBLIC_BASE_URL', () => {
      process.env.PUBLIC_BASE_URL = 'https://media.example.com/';

      expect(appConfig().publicBaseUrl).toBe('https://media.example.com');
    });

    it('keeps a path in PUBLIC_BASE_URL, without its trailing slash', () => {
      process.env.PUBLIC_BASE_URL = 'https://example.com/media//';

      expect(appConfig().publicBaseUrl).toBe('https://example.com/media');
    });

    it('throws when the environment is invalid', () => {
      process.env.PORT = 'abc';

      expect(() => appConfig()).toThrow(InvalidEnvironmentError);
    });
  });

  describe('log format', () => {
    it('follows LOG_FORMAT when set, whatever stdout is', () => {
      process.env.LOG_FORMAT = 'pretty';
      expect(appConfig().prettyLogs).toBe(true);
      process.env.LOG_FORMAT = 'json';
      expect(appConfig().prettyLogs).toBe(false);
    });

    it('is pretty on a terminal outside production when unset, JSON otherwise', () => {
      const stdout = process.stdout as { isTTY?: boolean };
      const wasTty = stdout.isTTY;
      try {
        stdout.isTTY = true;
        expect(appConfig().prettyLogs).toBe(true);
        process.env.NODE_ENV = 'production';
        expect(appConfig().prettyLogs).toBe(false);
        stdout.isTTY = false;
        delete process.env.NODE_ENV;
        expect(appConfig().prettyLogs).toBe(false);
      } finally {
        stdout.isTTY = wasTty;
      }
    });

    it('refuses another LOG_FORMAT, naming the variable', () => {
      process.env.LOG_FORMAT = 'xml';
      expect(() => appConfig()).toThrow(/LOG_FORMAT/);
    });
  });

  describe('API_KEYS', () => {
    const digest = 'cd'.repeat(32);

    it('takes an entry pasted from sha256sum, with its trailing "  -"', () => {
      process.env.API_KEYS = `alice:${digest}  -, bob:${'ef'.repeat(32)}`;

      expect(authConfig().keyOwnersByHash).toEqual({ [digest]: 'alice', ['ef'.repeat(32)]: 'bob' });
    });

    it('says what an entry must look like and how to make one', () => {
      process.env.API_KEYS = `alice:${digest.toUpperCase()}`;

      expect(() => authConfig()).toThrow(/name:<64 lowercase hex digits>.*`npm run key`/);
    });
  });

  describe('WORKER_HEALTH_PORT', () => {
    it.each([
      ['8001', 8001],
      ['0', 0],
      ['off', null],
    ])('%s → healthPort %p', (raw, port) => {
      process.env.WORKER_HEALTH_PORT = raw;

      expect(queueConfig().healthPort).toBe(port);
    });

    it('defaults to 8001 and refuses anything but a port, 0 or off', () => {
      expect(queueConfig().healthPort).toBe(8001);
      process.env.WORKER_HEALTH_PORT = 'none';
      expect(() => queueConfig()).toThrow(/WORKER_HEALTH_PORT must be a port number, 0 \(any free port\) or off/);
    });
  });

  describe('storageConfig', () => {
    it('resolves a relative STORAGE_LOCAL_DIR against the current working directory', () => {
      const cwd = resolve('/srv/mediagen');
      jest.spyOn(process, 'cwd').mockReturnValue(cwd);
      process.env.STORAGE_LOCAL_DIR = 'data/media';

      expect(storageConfig()).toMatchObject({ driver: 'local', localDir: resolve(cwd, 'data', 'media') });
    });

    it('defaults to generated_images under the current working directory', () => {
      const cwd = resolve('/srv/mediagen');
      jest.spyOn(process, 'cwd').mockReturnValue(cwd);

      expect(storageConfig().localDir).toBe(resolve(cwd, 'generated_images'));
    });

    it('keeps an absolute STORAGE_LOCAL_DIR as is', () => {
      const absolute = resolve('/var/lib/mediagen');
      process.env.STORAGE_LOCAL_DIR = absolute;

      expect(storageConfig().localDir).toBe(absolute);
    });
  });
});

describe('egress and model reference settings', () => {
  it.each(['127.0.0.1', ' model.internal:8080 , 127.0.0.1 ', '[::1]:9000,localhost'])(
    'accepts EGRESS_ALLOW_HOSTS=%j',
    (value) => {
      expect(parseEnvironment({ EGRESS_ALLOW_HOSTS: value }).EGRESS_ALLOW_HOSTS).toBe(value);
    },
  );

  it.each(['http://example.com', '::1', 'host:port', 'a b', 'host,,other'])(
    'refuses EGRESS_ALLOW_HOSTS=%j',
    (value) => {
      expect(problemsOf({ EGRESS_ALLOW_HOSTS: value })).toEqual([expect.stringMatching(/^EGRESS_ALLOW_HOSTS:/)]);
    },
  );

  it('refuses to boot with the replaced WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, naming EGRESS_ALLOW_HOSTS', () => {
    expect(problemsOf({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' })).toEqual([
      expect.stringMatching(/^WEBHOOK_ALLOW_PRIVATE_NETWORKS: .*EGRESS_ALLOW_HOSTS/),
    ]);
    expect(() => parseEnvironment({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' })).not.toThrow();
  });

  it.each(['acme/painter', 'acme/pinned:abc123', `a/${'b'.repeat(100)}:${'c'.repeat(64)}`, 'A_1/b.c-d'])(
    'takes the model reference %s',
    (model) => {
      expect(MODEL_REFERENCE_PATTERN.test(model)).toBe(true);
      expect(parseEnvironment({ REPLICATE_ALLOWED_MODELS: `x/y, ${model}` }).REPLICATE_ALLOWED_MODELS).toBeDefined();
    },
  );

  it.each([
    '../etc',
    'acme/..',
    'acme/%2e%2e',
    '.acme/painter',
    'acme/-painter',
    'acme/painter:..',
    'acme/painter:',
    'acme/painter/versions',
    `acme/${'a'.repeat(300)}`,
    `acme/painter:${'f'.repeat(101)}`,
  ])('refuses the model reference %j', (model) => {
    expect(MODEL_REFERENCE_PATTERN.test(model)).toBe(false);
    expect(problemsOf({ REPLICATE_DEFAULT_MODEL: model })).toEqual([expect.stringMatching(/^REPLICATE_DEFAULT_MODEL/)]);
  });

  it('splits EGRESS_ALLOW_HOSTS for the egress namespace', () => {
    const saved = process.env.EGRESS_ALLOW_HOSTS;
    process.env.EGRESS_ALLOW_HOSTS = ' a.internal:8080 , 127.0.0.1 ';
    try {
      expect(egressConfig().allowHosts).toEqual(['a.internal:8080', '127.0.0.1']);
    } finally {
      if (saved === undefined) delete process.env.EGRESS_ALLOW_HOSTS;
      else process.env.EGRESS_ALLOW_HOSTS = saved;
    }
  });
});
