import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// dependency-cruiser's API is ESM-only, which jest (CommonJS) cannot load: the spec runs its CLI,
// as `npm run lint` and `npm run architecture` do.
const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string, ...folders: string[]): Violation[] {
  const run = spawnSync(DEPCRUISE, [...folders, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
  });
  if (!run.stdout) throw new Error(`depcruise failed: ${run.stderr}`);
  return JSON.parse(run.stdout).summary.violations;
}

/** A small tree shaped like ours, with one deliberate mistake per rule and some allowed imports. */
const FIXTURE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      paths: Object.fromEntries(
        ['config', 'database', 'generator', 'jobs', 'storage'].map((lib) => [
          `@app/${lib}`,
          [`./libs/${lib}/src/index.ts`],
        ]),
      ),
    },
  }),
  'libs/config/src/index.ts': 'export const config = 1;\n',
  'libs/database/src/index.ts': "import { config } from '@app/config';\nexport const rows = config;\n",
  'libs/storage/src/index.ts': "import { main } from '../../../apps/api/src/main';\nexport const storage = main;\n",
  'libs/generator/src/index.ts': "import { job } from '@app/jobs';\nexport const generator = job;\n",
  'libs/jobs/src/index.ts':
    "import { rows } from '@app/database';\nexport { job } from './job';\nexport const jobs = rows;\n",
  'libs/jobs/src/job.ts': "import { helper } from './helper';\nexport const job = helper;\n",
  'libs/jobs/src/helper.ts': "import { job } from './job';\nexport const helper = () => job;\n",
  'libs/jobs/src/job.spec.ts': "import { main } from '../../../apps/api/src/main';\nexport const t = main;\n",
  'apps/api/src/main.ts':
    "import { jobs } from '@app/jobs';\nimport { worker } from '../../worker/src/worker';\nexport const main = [jobs, worker];\n",
  'apps/worker/src/worker.ts':
    "import { job } from '../../../libs/jobs/src/job';\nimport { generator } from '@app/generator';\nexport const worker = [job, generator];\n",
  'apps/worker/src/aliased.ts': "import { job } from '@app/jobs/job';\nexport const aliased = job;\n",
  'test/anything.e2e-spec.ts':
    "import { worker } from '../apps/worker/src/worker';\nimport { helper } from '../libs/jobs/src/helper';\nexport const t = [worker, helper];\n",
};

describe('architecture rules (.dependency-cruiser.cjs)', () => {
  let fixture: string;

  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'dependency-rules-'));
    for (const [file, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(fixture, file)), { recursive: true });
      writeFileSync(join(fixture, file), text);
    }
  });

  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('reports each deliberate bad import under the rule it breaks, and nothing else', () => {
    const found = cruise(fixture, 'apps', 'libs', 'test')
      // A cycle is reported once, from whichever side the cruise met first.
      .map(({ rule, from, to }) =>
        rule.name === 'no-circular' ? `no-circular: ${[from, to].sort().join(' ↔ ')}` : `${rule.name}: ${from} → ${to}`,
      )
      .sort();
    expect(found).toEqual(
      [
        // An app imports another app.
        'no-app-to-app: apps/api/src/main.ts → apps/worker/src/worker.ts',
        // A lib imports an app.
        'no-lib-to-app: libs/storage/src/index.ts → apps/api/src/main.ts',
        // An adapter imports the job domain (also outside the generator's allowed imports).
        'no-adapter-to-domain: libs/generator/src/index.ts → libs/jobs/src/index.ts',
        'generator-imports-only-its-layer: libs/generator/src/index.ts → libs/jobs/src/index.ts',
        // An app skips the domain to reach an adapter.
        'apps-through-the-domain: apps/worker/src/worker.ts → libs/generator/src/index.ts',
        // Deep imports past a lib's index.ts, relative or through an alias.
        'no-deep-import: apps/worker/src/worker.ts → libs/jobs/src/job.ts',
        'no-unresolvable-import: apps/worker/src/aliased.ts → @app/jobs/job',
        // An import cycle.
        'no-circular: libs/jobs/src/helper.ts ↔ libs/jobs/src/job.ts',
      ].sort(),
    );
  });

  it('finds no violation in the real tree', () => {
    expect(cruise(ROOT, 'apps', 'libs', 'test')).toEqual([]);
  });

  // Line order follows import order, which does not change the picture.
  const lines = (text: string) => text.trim().split('\n').sort();

  it('keeps docs/architecture.mmd in step with the code (regenerate with `npm run architecture`)', () => {
    const fresh = spawnSync(NPM, ['run', '--silent', 'architecture', '--', '--output-to', '-'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(lines(fresh.stdout)).toEqual(lines(readFileSync(join(ROOT, 'docs', 'architecture.mmd'), 'utf8')));
  });

  it("shows the same diagram in the README's architecture section", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = /```mermaid\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
    expect(lines(shown)).toEqual(lines(readFileSync(join(ROOT, 'docs', 'architecture.mmd'), 'utf8')));
  });
});
