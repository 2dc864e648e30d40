// The unit specs of the mutation targets, as a jest config: mutation testing runs them for every
// mutant. The architecture and manifest specs check the repository, not code a mutant can break,
// and their tools (depcruise, kubectl) do not run inside Stryker's sandbox.
const { projects } = require('./jest.config');

const { displayName: _name, ...unit } = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'],
  testSequencer: '<rootDir>/test/mutation/covering-test-files.sequencer.js',
  // The slowest unit test takes under half a second. A mutant that leaves a test waiting forever fails it here,
  // in the same runner, instead of running into Stryker's own timeout, which restarts the runner.
  testTimeout: 3000,
};
