import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import { codeForStatus, PROBLEM_CONTENT_TYPE, problem } from './problem-details';

type ClientErrorHandler = NonNullable<FastifyServerOptions['clientErrorHandler']>;

const DETAILS: Record<number, string> = {
  400: 'The request could not be parsed as HTTP',
  408: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS)',
  431: 'The request line and headers are too large',
};

/**
 * Errors Node's HTTP parser meets before Fastify sees a request (a request too slow, headers too
 * large, a malformed request line) are answered as problems too, then the connection is closed.
 */
export const answerClientError: ClientErrorHandler = (error, socket) => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = statusFor(error.code);
  if (socket.writable && !responseStarted(socket)) {
    const body = JSON.stringify(problem(status, codeForStatus(status), DETAILS[status]));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
};

function statusFor(code: string | undefined): 400 | 408 | 431 {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

/** A response already on its way (e.g. to an earlier request on the socket) must not be corrupted. */
function responseStarted(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}
