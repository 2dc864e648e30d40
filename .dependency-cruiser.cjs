// The one place where the architecture is decided: which part may import which. `npm run lint`
// runs these rules over apps, libs and test; a violation names its rule, and the rule's comment
// says why. The allowed graph (README "Architecture", docs/architecture.mmd):
//   apps → jobs (the domain) → { database, queue, storage, generator, webhooks, observability, config }
//   generator → { egress, observability, config }   webhooks → { database, queue, egress, config }
//   observability → { queue, config }   database, queue, storage, egress → config   config, client → nothing
// Tests (test/**, *.spec.ts, *.e2e-spec.ts, *.contract.ts) may import anything.

/** Files that test the code rather than ship: they may reach into whatever they test. */
const TESTS = ['^test/', '\\.(e2e-)?spec\\.ts$', '\\.contract\\.ts$'];

/**
 * The two entry points the TypeORM CLI runs, compiled by plain tsc (tsconfig.cli.json), which
 * leaves `@app/*` aliases unresolved: they reach the config namespaces by a relative path.
 */
const CLI_ENTRY_POINTS = ['^libs/database/src/(data-source|migrate)\\.ts$'];

/** Every lib may use config; these are the other libs each lib may import (besides itself). */
const ALLOWED_LIB_IMPORTS = {
  jobs: ['database', 'queue', 'storage', 'generator', 'webhooks', 'observability'],
  generator: ['egress', 'observability'],
  webhooks: ['database', 'queue', 'egress'],
  observability: ['queue'],
  database: [],
  queue: [],
  storage: [],
  egress: [],
};

const WHY_LIB_IMPORTS = {
  jobs: 'the job domain uses ports (generator, storage, queue, database, webhooks, observability), never egress or the client SDK',
  generator: 'the generator adapter needs only egress (to download outputs) and metrics',
  webhooks: 'webhook delivery needs only its rows, its queue and egress',
  observability: 'observability reads the queues and Redis; the rest reports to it, not the other way round',
  database: 'infrastructure adapters depend on config only',
  queue: 'infrastructure adapters depend on config only',
  storage: 'infrastructure adapters depend on config only',
  egress: 'infrastructure adapters depend on config only',
};

const libDependencyRules = Object.entries(ALLOWED_LIB_IMPORTS).map(([lib, allowed]) => ({
  name: `${lib}-imports-only-its-layer`,
  comment: `libs/${lib} may import only ${[...allowed, 'config'].join(', ')}: ${WHY_LIB_IMPORTS[lib]}.`,
  severity: 'error',
  from: { path: `^libs/${lib}/`, pathNot: TESTS },
  to: { path: '^libs/', pathNot: `^libs/(${[lib, 'config', ...allowed].join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment:
        'An app never imports another app: api and worker deploy and scale apart; what both need belongs in a lib.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/', pathNot: TESTS },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      comment: 'A lib never imports an app: apps compose libs, so a lib that needs an app is in the wrong place.',
      severity: 'error',
      from: { path: '^libs/', pathNot: TESTS },
      to: { path: '^apps/' },
    },
    {
      name: 'no-adapter-to-domain',
      comment:
        'Only apps (and tests) import the job domain (libs/jobs): adapters and infrastructure (generator, storage, ' +
        'database, queue, egress, webhooks, observability, config) sit below it and must not know it.',
      severity: 'error',
      from: { path: '^libs/', pathNot: ['^libs/jobs/', ...TESTS] },
      to: { path: '^libs/jobs/' },
    },
    {
      name: 'apps-through-the-domain',
      comment:
        'Apps reach the database, the generator, storage and egress through the job domain (@app/jobs), ' +
        'so the rules about jobs live in one place; they use queue, webhooks, observability and config directly.',
      severity: 'error',
      from: { path: '^apps/', pathNot: TESTS },
      to: { path: '^libs/(database|generator|storage|egress|client)/' },
    },
    ...libDependencyRules,
    {
      name: 'config-is-a-leaf',
      comment: 'libs/config (and the generated client SDK) import no other lib: everything else depends on them.',
      severity: 'error',
      from: { path: '^libs/(config|client)/', pathNot: TESTS },
      to: { path: '^libs/', pathNot: '^libs/$1/' },
    },
    {
      name: 'no-deep-import',
      comment:
        "Import a lib through its index.ts (`@app/<lib>`), never a file behind it: the index is the lib's public " +
        'surface, so its internals can change without breaking anyone. A lib imports its own files relatively.',
      severity: 'error',
      from: { path: '^(apps|libs)/([^/]+)/', pathNot: [...TESTS, ...CLI_ENTRY_POINTS] },
      to: { path: '^libs/', pathNot: ['^$1/$2/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'body-dtos-are-json',
      comment:
        'A request body DTO (`*-request.dto.ts`) takes no class-transformer decorators: a JSON body already has ' +
        'its types and is copied onto the DTO as is (RequestValidationPipe), so such a decorator would do nothing.',
      severity: 'error',
      from: { path: '-request\\.dto\\.ts$' },
      to: { path: 'node_modules/class-transformer/' },
    },
    {
      name: 'no-unresolvable-import',
      comment:
        'Every import resolves (an `@app/<lib>/<file>` deep import does not: only `@app/<lib>` is mapped in tsconfig).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle means two parts are really one, or one of them is in the wrong place.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.stryker-tmp)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count too: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.d.ts', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
