// The one place where the per-folder mutation score thresholds are decided and checked.
// Reads Stryker's JSON report (mutation-testing-report-schema), prints a score per target folder
// and exits non-zero when a folder falls below its threshold. Stryker's own `thresholds.break`
// only judges the total, which a strong folder could hold up while a weak one slips.
// Runs after `stryker run` in `npm run test:mutation`; the report path is the one stryker.config.mjs names.
import { readFileSync } from 'node:fs';

/** Folder → the least score it may have. */
const THRESHOLDS = {
  'libs/jobs': 85,
  'libs/generator': 80,
  'libs/webhooks': 80,
  'libs/storage': 80,
  'libs/queue': 80,
  'apps/worker': 80,
};

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Counts per folder; score as Stryker defines it: detected / (detected + undetected). */
function scoresByFolder(report) {
  const folders = new Map(Object.keys(THRESHOLDS).map((folder) => [folder, { detected: 0, undetected: 0 }]));
  for (const [path, file] of Object.entries(report.files)) {
    const folder = Object.keys(THRESHOLDS).find((prefix) => path.replaceAll('\\', '/').startsWith(`${prefix}/`));
    if (!folder) continue;
    const counts = folders.get(folder);
    for (const { status } of file.mutants) {
      if (DETECTED.has(status)) counts.detected += 1;
      else if (UNDETECTED.has(status)) counts.undetected += 1;
    }
  }
  return [...folders].map(([folder, { detected, undetected }]) => {
    const valid = detected + undetected;
    return { folder, detected, valid, score: valid === 0 ? null : (detected / valid) * 100 };
  });
}

/** The rows that fail; a folder the run did not mutate (a partial `--mutate`) is not judged. */
function failures(rows) {
  return rows.filter((row) => row.score !== null && row.score < THRESHOLDS[row.folder]);
}

function format(rows) {
  const lines = ['folder           score   detected/valid  min', '---------------  ------  --------------  ---'];
  for (const { folder, detected, valid, score } of rows) {
    const shown = score === null ? 'not run' : `${score.toFixed(2)}%`;
    lines.push(
      `${folder.padEnd(15)}  ${shown.padStart(7)}  ${`${detected}/${valid}`.padStart(14)}  ${THRESHOLDS[folder]}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const reportPath = 'reports/mutation/mutation.json';
const rows = scoresByFolder(JSON.parse(readFileSync(reportPath, 'utf8')));
process.stdout.write(format(rows));
const failed = failures(rows);
if (rows.every((row) => row.score === null)) {
  process.stderr.write(`No target folder in ${reportPath}\n`);
  process.exitCode = 1;
} else if (failed.length > 0) {
  process.stderr.write(
    `Mutation score below its threshold: ${failed.map((row) => `${row.folder} ${row.score.toFixed(2)}% < ${THRESHOLDS[row.folder]}%`).join(', ')}\n`,
  );
  process.exitCode = 1;
}
