import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request an api log line belongs to: whatever runs on behalf of a request (its handler,
 * the services it calls, their awaits) sees the request's id, so every such line carries it.
 */
const requests = new AsyncLocalStorage<string>();

/** Runs `next` (and everything it starts) as part of request `id`. */
export function runInRequest(id: string, next: () => void): void {
  requests.run(id, next);
}

/** The id of the request the caller runs for, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore();
}
