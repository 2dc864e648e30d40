// autocannon ships no type declarations: the part of its programmatic API the bench uses.
interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: (RawRequest & { setupRequest?: (request: RawRequest) => RawRequest })[];
}

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}

interface AutocannonResult {
  requests: Histogram & { total: number; sent: number };
  latency: Histogram;
  /** Seconds. */
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult>;

// Required rather than imported: an `import` of an untyped package does not compile under `strict`.
const autocannon = require('autocannon') as Autocannon;

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Answers with a 2xx status. */
  ok: number;
  /** Non-2xx answers, connection errors and timeouts. */
  failed: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

export interface LoadRequest {
  method: 'GET' | 'POST';
  /** A fixed path, or one computed for every request (rotating ids). */
  path: string | (() => string);
  body?: string;
  headers?: Record<string, string>;
}

/** Drives `baseUrl` with `connections` keep-alive connections for `durationSeconds`, or until `amount` answers. */
export async function load(
  baseUrl: string,
  request: LoadRequest,
  limit: { connections: number; durationSeconds?: number; amount?: number },
): Promise<LoadResult> {
  const { path } = request;
  const result = await autocannon({
    url: baseUrl,
    connections: limit.connections,
    ...(limit.amount !== undefined ? { amount: limit.amount } : { duration: limit.durationSeconds ?? 10 }),
    timeout: 30,
    requests: [
      {
        method: request.method,
        path: typeof path === 'string' ? path : path(),
        headers: {
          ...(request.body !== undefined && { 'content-type': 'application/json' }),
          ...request.headers,
        },
        ...(request.body !== undefined && { body: request.body }),
        ...(typeof path !== 'string' && { setupRequest: (raw: RawRequest) => ({ ...raw, path: path() }) }),
      },
    ],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, stats]) => [code, stats.count]),
  );
  return {
    requestsPerSecond: round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
    statusCodes,
    seconds: result.duration,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
