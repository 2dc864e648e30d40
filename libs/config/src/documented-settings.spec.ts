import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { Environment } from './environment';

// Every setting the service reads is documented for operators: a row of the README's configuration
// table and a line of .env.sample. Older names kept as aliases are mentioned in their successor's text.
const root = join(__dirname, '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const sample = readFileSync(join(root, '.env.sample'), 'utf8');

const settings = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Environment, '', true, false)
      .map((metadata) => metadata.propertyName),
  ),
];
const OLDER_NAMES = ['REPLICATE_MAX_CREATES_PER_MINUTE'];
/** Read outside the validated schema: the log format's default, the image's health check, the CLI. */
const OTHER_VARIABLES = ['NODE_ENV', 'HEALTHCHECK_PORT', 'MEDIAGEN_URL', 'MEDIAGEN_API_KEY'];

describe('documented settings', () => {
  it('finds the settings', () => {
    expect(settings).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'EGRESS_ALLOW_HOSTS']));
  });

  it.each([...settings.filter((name) => !OLDER_NAMES.includes(name)), ...OTHER_VARIABLES])(
    '%s has a README row and an .env.sample line',
    (name) => {
      // Booleans, not the files' text, so a failure names what is missing instead of printing the README.
      const documented = {
        readmeRow: readme.includes(`| \`${name}\` |`),
        sampleLine: new RegExp(`^(# )?${name}=`, 'm').test(sample),
      };
      expect(documented).toEqual({ readmeRow: true, sampleLine: true });
    },
  );

  it.each(OLDER_NAMES)('the older name %s is still mentioned', (name) => {
    expect(readme).toContain(name);
    expect(sample).toContain(name);
  });
});
