import type { SystemResult } from './bench';

export interface Row {
  metric: string;
  service: number;
  reference: number;
  /** service / reference; null where a ratio means nothing (memory). */
  ratio: number | null;
  /** The target for this row, if it has one. */
  target?: string;
  pass?: boolean;
}

/** The targets: submit and status ≥ 0.7× the reference, end to end ≥ 0.8×, api RSS under load ≤ 200 MB. */
export const TARGETS = { submit: 0.7, status: 0.7, endToEnd: 0.8, apiRssMb: 200 };

/** Share of the machine's CPU used by other work during a phase above which the report says so. */
const OTHER_CPU_SHARE_NOTED = 0.1;

export function compare(service: SystemResult, reference: SystemResult): Row[] {
  const row = (metric: string, pick: (result: SystemResult) => number, minRatio?: number): Row => {
    const [ours, theirs] = [pick(service), pick(reference)];
    const ratio = theirs > 0 ? Math.round((ours / theirs) * 100) / 100 : null;
    return {
      metric,
      service: ours,
      reference: theirs,
      ratio,
      ...(minRatio !== undefined && { target: `≥ ${minRatio}×`, pass: ratio !== null && ratio >= minRatio }),
    };
  };
  const memory = (metric: string, pick: (result: SystemResult) => number, maxMb?: number): Row => ({
    metric,
    service: pick(service),
    reference: pick(reference),
    ratio: null,
    ...(maxMb !== undefined && { target: `≤ ${maxMb} MB`, pass: pick(service) <= maxMb }),
  });
  return [
    row('submit req/s', (result) => result.submit.requestsPerSecond, TARGETS.submit),
    row('submit p50 ms', (result) => result.submit.latencyP50Ms),
    row('submit p99 ms', (result) => result.submit.latencyP99Ms),
    row('status req/s', (result) => result.status.requestsPerSecond, TARGETS.status),
    row('status p50 ms', (result) => result.status.latencyP50Ms),
    row('status p99 ms', (result) => result.status.latencyP99Ms),
    row('end-to-end jobs/s', (result) => result.endToEnd.jobsPerSecond, TARGETS.endToEnd),
    row('completion p50 ms', (result) => result.endToEnd.completionP50Ms),
    row('completion p99 ms', (result) => result.endToEnd.completionP99Ms),
    // Where the time goes: CPU per request is what the two cores run out of, whatever else runs.
    row('submit: api CPU ms/req', (result) => result.submit.cpuMsPerRequest.api),
    row('submit: postgres CPU ms/req', (result) => result.submit.cpuMsPerRequest.postgres),
    row('status: api CPU ms/req', (result) => result.status.cpuMsPerRequest.api),
    row('status: postgres CPU ms/req', (result) => result.status.cpuMsPerRequest.postgres),
    row('e2e: api CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.api),
    row('e2e: worker CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.worker),
    row('e2e: postgres CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.postgres),
    memory('api peak RSS MB', (result) => result.peakRssMb.api, TARGETS.apiRssMb),
    memory('worker peak RSS MB', (result) => result.peakRssMb.worker),
  ];
}

export function formatTable(rows: Row[]): string {
  const cells = [
    ['metric', 'service', 'reference', 'ratio', 'target', 'verdict'],
    ...rows.map((row) => [
      row.metric,
      String(row.service),
      String(row.reference),
      row.ratio === null ? '' : `${row.ratio.toFixed(2)}×`,
      row.target ?? '',
      row.pass === undefined ? '' : row.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = cells[0].map((_, column) => Math.max(...cells.map((line) => line[column].length)));
  const format = (line: string[]) =>
    line
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd();
  return [format(cells[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(format)].join(
    '\n',
  );
}

/** Things that make the numbers less trustworthy or point at a problem: other load, logged warnings. */
export function formatNotes(service: SystemResult, reference: SystemResult): string[] {
  const notes: string[] = [];
  for (const [name, result] of [
    ['service', service],
    ['reference', reference],
  ] as const) {
    const others = [
      ['submit', result.submit.cpuMsPerRequest.otherShare],
      ['status', result.status.cpuMsPerRequest.otherShare],
      ['end to end', result.endToEnd.cpuMsPerJob.otherShare],
    ] as const;
    for (const [phase, share] of others) {
      if (share > OTHER_CPU_SHARE_NOTED) {
        notes.push(`${name} ${phase}: ${Math.round(share * 100)} % of the CPU went to other work: numbers skewed`);
      }
    }
    for (const phase of ['submit', 'status'] as const) {
      const { failed, statusCodes } = result[phase];
      if (failed > 0)
        notes.push(`${name} ${phase}: ${failed} requests failed (statuses ${JSON.stringify(statusCodes)})`);
    }
    const { accepted, succeeded } = result.endToEnd;
    if (succeeded < accepted) notes.push(`${name} end to end: only ${succeeded} of ${accepted} jobs succeeded`);
    for (const [process, logs] of Object.entries(result.logs)) {
      if (logs.warnings + logs.errors === 0) continue;
      notes.push(`${process}: ${logs.warnings} warnings, ${logs.errors} errors (${logs.messages.join(' | ')})`);
    }
  }
  return notes;
}
