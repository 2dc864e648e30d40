import type { SystemResult } from './bench';
import { formatProfile } from './profiler';

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

/**
 * The targets (issue 13), against the reference measured in the same run: throughput ≥ 0.8× on
 * submit, status and end to end; api CPU per request and worker CPU per job ≤ 1.5×; submit and
 * status p99 ≤ 1.5×; peak RSS under load ≤ 160 MB for the api and for the worker.
 */
export const TARGETS = {
  submit: 0.8,
  status: 0.8,
  endToEnd: 0.8,
  maxCpuRatio: 1.5,
  maxP99Ratio: 1.5,
  apiRssMb: 160,
  workerRssMb: 160,
  workerEventLoopDelayP99Ms: 20,
};

/** Share of the machine's CPU used by other work during a phase above which the report says so. */
const OTHER_CPU_SHARE_NOTED = 0.1;

type Pick = (result: SystemResult) => number;

export function compare(service: SystemResult, reference: SystemResult): Row[] {
  const row = (metric: string, pick: Pick, bound?: { min: number } | { max: number }): Row => {
    const [ours, theirs] = [pick(service), pick(reference)];
    const ratio = theirs > 0 ? Math.round((ours / theirs) * 100) / 100 : null;
    if (!bound) return { metric, service: ours, reference: theirs, ratio };
    const pass = ratio !== null && ('min' in bound ? ratio >= bound.min : ratio <= bound.max);
    const target = 'min' in bound ? `≥ ${bound.min}×` : `≤ ${bound.max}×`;
    return { metric, service: ours, reference: theirs, ratio, target, pass };
  };
  /** A figure read on its own, not as a ratio (memory, delay), with the bound if it has one. */
  const figure = (metric: string, pick: Pick): Row => ({
    metric,
    service: pick(service),
    reference: pick(reference),
    ratio: null,
  });
  const absolute = (metric: string, pick: Pick, max: number, unit: string): Row => ({
    ...figure(metric, pick),
    target: `≤ ${max} ${unit}`,
    pass: pick(service) <= max,
  });
  const cpu = { max: TARGETS.maxCpuRatio };
  const p99 = { max: TARGETS.maxP99Ratio };
  return [
    row('submit req/s', (result) => result.submit.requestsPerSecond, { min: TARGETS.submit }),
    row('submit p50 ms', (result) => result.submit.latencyP50Ms),
    row('submit p99 ms', (result) => result.submit.latencyP99Ms, p99),
    row('status req/s', (result) => result.status.requestsPerSecond, { min: TARGETS.status }),
    row('status p50 ms', (result) => result.status.latencyP50Ms),
    row('status p99 ms', (result) => result.status.latencyP99Ms, p99),
    row('end-to-end jobs/s', (result) => result.endToEnd.jobsPerSecond, { min: TARGETS.endToEnd }),
    row('completion p50 ms', (result) => result.endToEnd.completionP50Ms),
    row('completion p99 ms', (result) => result.endToEnd.completionP99Ms),
    // Where the time goes: CPU per request is what the two cores run out of, whatever else runs.
    row('submit: api CPU ms/req', (result) => result.submit.cpuMsPerRequest.api, cpu),
    row('submit: postgres CPU ms/req', (result) => result.submit.cpuMsPerRequest.postgres),
    row('status: api CPU ms/req', (result) => result.status.cpuMsPerRequest.api, cpu),
    row('status: postgres CPU ms/req', (result) => result.status.cpuMsPerRequest.postgres),
    row('e2e: api CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.api),
    row('e2e: worker CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.worker, cpu),
    row('e2e: postgres CPU ms/job', (result) => result.endToEnd.cpuMsPerJob.postgres),
    row('512×512 jobs/s', (result) => result.defaultImages.jobsPerSecond),
    row('512×512: worker CPU ms/job', (result) => result.defaultImages.cpuMsPerJob.worker),
    absolute(
      '512×512: worker loop delay p99 ms',
      (result) => result.defaultImages.eventLoopDelayP99Ms,
      TARGETS.workerEventLoopDelayP99Ms,
      'ms',
    ),
    absolute('api peak RSS MB', (result) => result.peakRssMb.api, TARGETS.apiRssMb, 'MB'),
    absolute('worker peak RSS MB', (result) => result.peakRssMb.worker, TARGETS.workerRssMb, 'MB'),
    // Profiles are taken after the measured phases (not at all with BENCH_PROFILE=0).
    ...(service.profiledPeakRssMb.api > 0
      ? [
          figure('api peak RSS MB, profiler attached', (result) => result.profiledPeakRssMb.api),
          figure('worker peak RSS MB, profiler attached', (result) => result.profiledPeakRssMb.worker),
        ]
      : []),
  ];
}

/** Where each process spent its CPU in each phase's load, profiled after the measured phases, service and reference. */
export function formatProfiles(service: SystemResult, reference: SystemResult): string {
  const lines: string[] = [];
  for (const [name, result] of [
    ['service', service],
    ['reference', reference],
  ] as const) {
    for (const [phase, summary] of Object.entries(result.profiles)) {
      lines.push(`profile ${name} ${formatProfile(phase, summary)}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
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
