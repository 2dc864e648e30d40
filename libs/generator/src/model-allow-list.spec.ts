import { modelAllowance } from './model-allow-list';

const VERSION = 'a'.repeat(64);

describe('modelAllowance', () => {
  it.each([
    ['no allow-list', [], 'anyone/anything', 'allowed'],
    ['no allow-list, a pinned version', [], `anyone/anything:${VERSION}`, 'allowed'],
    ['a listed model', ['acme/painter'], 'acme/painter', 'allowed'],
    ['an exactly listed version', ['acme/pinned:abc123'], 'acme/pinned:abc123', 'allowed'],
    ['a version of a listed model', ['acme/painter'], `acme/painter:${VERSION}`, 'allowed_if_version_belongs'],
    ['another version of a model listed only at one version', ['acme/pinned:abc123'], 'acme/pinned:def456', 'refused'],
    ['the latest of a model listed only at one version', ['acme/pinned:abc123'], 'acme/pinned', 'refused'],
    ['an unlisted model', ['acme/painter'], 'evil/miner', 'refused'],
    ['a version of an unlisted model', ['acme/painter'], `evil/miner:${VERSION}`, 'refused'],
    ['a model whose name merely starts like a listed one', ['acme/painter'], 'acme/painter-2', 'refused'],
  ] as const)('%s', (_case, allowList, reference, expected) => {
    expect(modelAllowance(allowList, reference)).toBe(expected);
  });
});
