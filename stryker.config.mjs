// Mutation testing (npm run test:mutation): does the unit suite notice a broken rule?
// Runs the unit project only, incrementally (reports/stryker-incremental.json is kept between runs).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.unit.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  // A static mutant (a module-level constant, a decorator argument) is live from import on, so every unit test
  // has to run for it: 375 of 3243 mutants were estimated at three quarters of the run time. Stryker reports them as ignored.
  ignoreStatic: true,
  // Jest's runner grows by every run (a worker reached 2.3 GB and spent its time collecting garbage): a fresh one every 100 mutants.
  maxTestRunnerReuse: 100,
  mutate: [
    'libs/jobs/src/**/*.ts',
    'libs/generator/src/**/*.ts',
    'libs/webhooks/src/**/*.ts',
    'libs/storage/src/**/*.ts',
    'libs/queue/src/**/*.ts',
    'apps/worker/src/*.processor.ts',
    '!**/*.spec.ts',
    '!**/*.contract.ts',
    '!**/index.ts',
    '!**/*.module.ts',
    '!libs/*/src/testing/**',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  thresholds: { high: 90, low: 85, break: 80 },
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'generated_images', 'test-artifacts', 'reports', 'coverage'],
};
