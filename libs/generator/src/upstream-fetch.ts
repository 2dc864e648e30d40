/** A non-2xx answer from the upstream API, with its body already read. */
export class UpstreamHttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`Upstream answered HTTP ${status}`);
    this.name = 'UpstreamHttpError';
  }
}

/** The upstream did not answer within the request timeout. */
export class UpstreamTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Upstream did not answer within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/**
 * The fetch handed to the `replicate` client. It adds a timeout to every request and sends each
 * request exactly once: the client's built-in retry re-sends failed requests back to back
 * (POST included, on network errors), which can create duplicate, billed predictions. Here a
 * repeat of the same request object gets the first outcome again without touching the network,
 * and non-2xx answers become UpstreamHttpError, so retrying is left to BullMQ with its backoff.
 */
/** Told about every request sent: its method, status (or `error`/`timeout`) and duration. */
export type UpstreamObserver = (method: string, status: string, seconds: number) => void;

export function createSingleShotFetch(
  timeoutMs: number,
  baseFetch: typeof fetch = fetch,
  observe: UpstreamObserver = () => undefined,
): typeof fetch {
  const outcomes = new WeakMap<object, Promise<Response>>();
  return (input, init) => {
    if (!init) return send(input, init);
    let outcome = outcomes.get(init);
    if (!outcome) {
      outcome = send(input, init);
      outcomes.set(init, outcome);
    }
    return outcome;
  };

  async function send(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const method = init?.method ?? 'GET';
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await baseFetch(input, { ...init, signal });
      observe(method, String(response.status), seconds());
      if (!response.ok) throw new UpstreamHttpError(response.status, response.headers, await response.text());
      return response;
    } catch (error) {
      if (error instanceof UpstreamHttpError) throw error;
      observe(method, timeout.aborted ? 'timeout' : 'error', seconds());
      if (timeout.aborted) throw new UpstreamTimeoutError(timeoutMs);
      throw error;
    }
  }
}
