import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useService } from './support/service';

// Three independent generators turn the committed openapi.json into clients; each client must
// compile with `tsc --strict` and complete submit → wait → download against the running service.
const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const SPEC = join(ROOT, 'openapi.json');

/** Runs a command without blocking this process (the service under test answers from it). */
function sh(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} ${args.join(' ')} failed:\n${stdout}\n${stderr}`)) : done(stdout),
    );
  });
}

const GENERATORS: Record<string, (folder: string, baseUrl: string) => Promise<unknown>> = {
  'openapi-typescript': (folder) => sh(join(BIN, 'openapi-typescript'), [SPEC, '-o', 'client/schema.d.ts'], folder),
  '@hey-api/openapi-ts': (folder) =>
    sh(join(BIN, 'openapi-ts'), ['-i', SPEC, '-o', 'client', '-c', '@hey-api/client-fetch', '-s'], folder),
  orval: (folder, baseUrl) => {
    const output = { target: 'client/api.ts', client: 'fetch', mode: 'single', baseUrl };
    writeFileSync(
      join(folder, 'orval.config.cjs'),
      `module.exports = ${JSON.stringify({ mediagen: { input: SPEC, output } })};`,
    );
    return sh(join(BIN, 'orval'), ['--config', 'orval.config.cjs'], folder);
  },
};

const PROGRAMS: Record<string, string> = {
  'openapi-typescript': 'openapi-typescript',
  '@hey-api/openapi-ts': 'hey-api',
  orval: 'orval',
};

describe('clients generated from openapi.json', () => {
  const running = useService();
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it.each(Object.keys(GENERATORS))(
    '%s: compiles with --strict and runs submit → wait → download',
    async (generator) => {
      const folder = mkdtempSync(join(tmpdir(), 'mediagen-client-'));
      folders.push(folder);
      symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'));
      writeFileSync(join(folder, 'package.json'), '{"type":"commonjs"}\n');
      const baseUrl = running.service.baseUrl;
      await GENERATORS[generator](folder, baseUrl);
      copyFileSync(
        join(__dirname, 'generated-clients', `${PROGRAMS[generator]}.program.ts.tmpl`),
        join(folder, 'main.ts'),
      );

      await sh(
        join(BIN, 'tsc'),
        [
          '--strict',
          '--module',
          'nodenext',
          '--target',
          'es2022',
          '--skipLibCheck',
          '--types',
          'node',
          '--outDir',
          'out',
          'main.ts',
        ],
        folder,
      );
      const output = await sh(process.execPath, [join(folder, 'out', 'main.js'), baseUrl], folder);

      // A finished job and the first bytes of a PNG.
      expect(output).toBe('succeeded 0.png 89504e47\n');
    },
  );
});
