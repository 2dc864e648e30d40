import type { AppConfig, AuthConfig, GeneratorConfig, QueueConfig, StorageConfig } from '@app/config';
import type { LoggerService } from '@nestjs/common';
import { apiReadyLine, localUrl, QuietFrameworkLogger, startupFailure, workerReadyLine } from './startup';

const app = { host: '0.0.0.0', port: 8000, publicBaseUrl: 'http://localhost:8000', uiEnabled: true } as AppConfig;
const mock = { kind: 'mock', defaultModel: 'mock' } as GeneratorConfig;
const replicate = { kind: 'replicate', defaultModel: 'black-forest-labs/flux-schnell' } as GeneratorConfig;
const local = { driver: 'local', localDir: '/srv/media', s3: {} } as StorageConfig;
const s3 = { driver: 's3', localDir: '', s3: { bucket: 'media', keyPrefix: 'prod/' } } as StorageConfig;
const queue = { concurrency: 4, prefix: 'mediagen' } as QueueConfig;

describe('apiReadyLine', () => {
  it('names every URL, the generator, storage and an open API', () => {
    const auth = { keyOwnersByHash: {} } as unknown as AuthConfig;

    expect(apiReadyLine({ app, auth, generator: mock, storage: local })).toBe(
      'mediagen api ready on 0.0.0.0:8000 · api http://localhost:8000/v1 · docs http://localhost:8000/docs · ' +
        'page http://localhost:8000/ · metrics http://localhost:8000/metrics · generator mock · ' +
        'storage local (/srv/media) · auth open (API_KEYS unset)',
    );
  });

  it('names the Replicate model, S3 storage, the key count and a page turned off', () => {
    const auth = { keyOwnersByHash: { a: 'alice', b: 'bob' } } as unknown as AuthConfig;
    const line = apiReadyLine({ app: { ...app, uiEnabled: false }, auth, generator: replicate, storage: s3 });

    expect(line).toContain(' · page off (UI_ENABLED=false) · ');
    expect(line).toContain(
      ' · generator replicate (black-forest-labs/flux-schnell) · storage s3 (media/prod/) · auth 2 API key(s)',
    );
  });
});

describe('workerReadyLine', () => {
  const settings = { app, queue, generator: mock, storage: local };

  it('names the health port it took, and the configured one when that was taken', () => {
    expect(workerReadyLine({ ...settings, health: { port: 8001, configured: 8001 } })).toBe(
      'mediagen worker ready · health http://localhost:8001/health/ready · metrics http://localhost:8001/metrics · ' +
        'generator mock · storage local (/srv/media) · concurrency 4 · queue prefix mediagen',
    );
    expect(workerReadyLine({ ...settings, health: { port: 40123, configured: 8001 } })).toContain(
      'health http://localhost:40123/health/ready (WORKER_HEALTH_PORT 8001 was taken) · metrics http://localhost:40123/metrics',
    );
    expect(workerReadyLine({ ...settings, health: { port: 40123, configured: 0 } })).not.toContain('was taken');
  });

  it('says when the health server is off', () => {
    expect(workerReadyLine({ ...settings, health: null })).toContain(' · health off (WORKER_HEALTH_PORT=off) · ');
  });
});

describe('localUrl', () => {
  it.each([
    ['0.0.0.0', 'http://localhost:1'],
    ['::', 'http://localhost:1'],
    ['127.0.0.1', 'http://127.0.0.1:1'],
    ['::1', 'http://[::1]:1'],
  ])('%s → %s', (host, url) => {
    expect(localUrl(host, 1)).toBe(url);
  });
});

describe('QuietFrameworkLogger', () => {
  const inner = () => ({ log: jest.fn(), error: jest.fn(), warn: jest.fn(), debug: jest.fn(), verbose: jest.fn() });

  it("logs Nest's module loading and route mapping at debug, everything else unchanged", () => {
    const target = inner();
    const logger = new QuietFrameworkLogger(target as LoggerService);

    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Mapped {/v1/jobs, GET} route', 'RouterExplorer');
    logger.log('Taking jobs', 'GenerationWorker');
    logger.warn('careful', 'Bootstrap');

    expect(target.debug.mock.calls).toEqual([
      ['AppModule dependencies initialized', 'InstanceLoader'],
      ['Mapped {/v1/jobs, GET} route', 'RouterExplorer'],
    ]);
    expect(target.log).toHaveBeenCalledWith('Taking jobs', 'GenerationWorker');
    expect(target.warn).toHaveBeenCalledWith('careful', 'Bootstrap');
  });

  it('leaves a failed listen to main.ts (debug), other errors as errors', () => {
    const target = inner();
    const logger = new QuietFrameworkLogger(target as LoggerService);

    logger.error('listen EADDRINUSE', 'NestApplication');
    logger.error('boom', 'JobsService');

    expect(target.debug).toHaveBeenCalledWith('listen EADDRINUSE', 'NestApplication');
    expect(target.error).toHaveBeenCalledWith('boom', 'JobsService');
  });
});

describe('startupFailure', () => {
  it('names the port variable for a port in use', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 8000, address: '0.0.0.0' });

    expect(startupFailure('API', inUse, 'PORT')).toBe(
      'API failed to start: PORT 8000 is already in use on 0.0.0.0: stop the other process or set PORT to a free port',
    );
  });

  it('keeps the message of any other error', () => {
    expect(startupFailure('Worker', new Error('no way'), 'WORKER_HEALTH_PORT')).toBe('Worker failed to start: no way');
  });
});
