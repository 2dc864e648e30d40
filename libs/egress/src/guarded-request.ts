import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type DestinationPolicy, DestinationRefusedError, type DestinationRules } from './destination-policy';

export interface GuardedRequestOptions extends DestinationRules {
  method: 'GET' | 'POST';
  headers?: Record<string, string | number>;
  body?: string;
  /** Ends the whole exchange, the response body included. */
  signal: AbortSignal;
  /** How many redirects of a GET to follow, each hop checked again; 0 answers a redirect as it is. */
  maxRedirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends one request (plain node http(s), which takes a `lookup`, unlike fetch) only to a
 * destination `policy` allows, and resolves with the response for the caller to read. Every
 * redirect target is checked like the first URL. Rejects with DestinationRefusedError when a
 * hop is refused; each hop opens its own connection, so no pooled socket skips the check.
 */
export async function guardedRequest(
  policy: DestinationPolicy,
  url: string,
  options: GuardedRequestOptions,
): Promise<IncomingMessage> {
  let target: URL | string = url;
  for (let hop = 0; ; hop++) {
    const subject = hop === 0 ? 'The destination' : 'A redirect target';
    const refusal = policy.refuse(target, options);
    if (refusal) throw new DestinationRefusedError(`${subject} ${refusal}`);
    const current: URL = new URL(target);
    const response = await send(policy, current, options, subject);
    const location = response.headers.location;
    const redirected = REDIRECTS.has(response.statusCode ?? 0) && options.method === 'GET';
    if (!redirected || !location || hop >= options.maxRedirects || !URL.canParse(location, current)) return response;
    response.destroy();
    target = new URL(location, current);
  }
}

function send(
  policy: DestinationPolicy,
  url: URL,
  options: GuardedRequestOptions,
  subject: string,
): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers =
    options.body === undefined
      ? options.headers
      : { ...options.headers, 'content-length': Buffer.byteLength(options.body) };
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: options.method, headers, agent: false, lookup: policy.lookupFor(url), signal: options.signal },
      resolve,
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EDESTINATION' ? new DestinationRefusedError(`${subject} ${error.message}`) : error);
    });
    outgoing.end(options.body);
  });
}
