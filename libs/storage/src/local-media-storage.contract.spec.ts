import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMediaStorage } from './local-media-storage';
import { describeMediaStorageContract } from './media-storage.contract';

describeMediaStorageContract('LocalMediaStorage', async () => {
  const sandbox = await mkdtemp(join(tmpdir(), 'local-media-contract-'));
  return {
    storage: new LocalMediaStorage(join(sandbox, 'root')),
    teardown: () => rm(sandbox, { recursive: true, force: true }),
  };
});
