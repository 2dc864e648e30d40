import { MAX_UNLISTED_MODEL_LABELS, ModelLabels } from './model-label';

const VERSION = 'a'.repeat(64);

describe('ModelLabels', () => {
  describe('with an allow-list', () => {
    const labels = () => new ModelLabels(['acme/fast', `acme/exact:${VERSION}`], 'acme/default');

    it('labels a listed model by its entry, versions of an `owner/name` entry included', () => {
      const model = labels();
      expect(model.of('acme/fast')).toBe('acme/fast');
      expect(model.of(`acme/fast:${'b'.repeat(64)}`)).toBe('acme/fast');
      expect(model.of(`acme/exact:${VERSION}`)).toBe(`acme/exact:${VERSION}`);
      expect(model.of('acme/default')).toBe('acme/default');
    });

    it('labels everything else `other`', () => {
      const model = labels();
      expect(model.of('mallory/anything')).toBe('other');
      expect(model.of(`acme/exact:${'c'.repeat(64)}`)).toBe('other');
    });
  });

  describe('without an allow-list', () => {
    it('admits a bounded number of distinct models, then says `other`', () => {
      const model = new ModelLabels([], 'acme/default');
      const names = Array.from({ length: MAX_UNLISTED_MODEL_LABELS + 50 }, (_, index) => `owner/model-${index}`);
      const produced = new Set(names.map((name) => model.of(name)));
      expect(produced.size).toBe(MAX_UNLISTED_MODEL_LABELS + 1);
      expect(produced).toContain('other');
      expect(model.of('owner/model-0')).toBe('owner/model-0');
      expect(model.of('acme/default')).toBe('acme/default');
    });
  });
});
