// Mutation runs load only the spec files that hold a test covering the mutant.
// Stryker's jest runner narrows each mutant run with --findRelatedTests and a test name pattern, but our specs
// import the libraries through their index.ts, so a file in libs/jobs is "related" to 12-26 spec files. Jest
// loads every one of them (a quarter of a second each) only to skip their tests by name. The full run (Stryker's
// dry run, no name pattern) records which file holds which test; a run with a name pattern keeps the files
// whose tests match it. Without a record, or when nothing matches, every related file runs, as before.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

class CoveringTestFilesSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.namePattern = options.globalConfig.testNamePattern;
    this.recordFile = join(options.globalConfig.rootDir, '.stryker-test-names.json');
  }

  sort(tests) {
    return super.sort(this.namePattern ? this.covering(tests) : tests);
  }

  cacheResults(tests, results) {
    super.cacheResults(tests, results);
    if (this.namePattern) return;
    const record = testNamesByFile(results);
    writeFileSync(this.recordFile, JSON.stringify(record));
    records.set(this.recordFile, record);
  }

  covering(tests) {
    const namesByFile = this.readRecord();
    if (!namesByFile) return tests;
    // Jest matches the pattern case-insensitively against each test's full name.
    const pattern = new RegExp(this.namePattern, 'i');
    const kept = tests.filter((test) => (namesByFile[test.path] ?? []).some((name) => pattern.test(name)));
    return kept.length > 0 ? kept : tests;
  }

  readRecord() {
    // Read once per runner process: the full run writes the record before any mutant runs.
    const record = records.get(this.recordFile) ?? parsedOrUndefined(this.recordFile);
    if (record) records.set(this.recordFile, record);
    return record;
  }
}

/** Each record read by this process, by its path. */
const records = new Map();

function parsedOrUndefined(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function testNamesByFile(results) {
  return Object.fromEntries(
    results.testResults.map((file) => [file.testFilePath, file.testResults.map((test) => test.fullName)]),
  );
}

module.exports = CoveringTestFilesSequencer;
