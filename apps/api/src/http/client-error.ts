import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyHttpOptions, FastifyReply } from 'fastify';
import { codeForStatus, PROBLEM_CONTENT_TYPE, problem } from './problem-details';

const DETAILS: Record<number, string> = {
  400: 'The request could not be parsed as HTTP',
  408: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS)',
  414: 'A path segment is longer than 100 characters',
  431: 'The request line and headers are too large',
};

/**
 * Answers, as problems like every other error, the requests that fail before Nest sees them:
 * those Node's HTTP parser refuses (too slow, headers too large, not HTTP) and those Fastify's
 * router refuses (a path badly percent-encoded, a path parameter too long).
 */
export const edgeErrorAnswers: Pick<FastifyHttpOptions<Server>, 'clientErrorHandler' | 'frameworkErrors'> = {
  clientErrorHandler: (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = parserErrorStatus(error.code);
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
  },
  frameworkErrors: (error, _request, reply) => {
    const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
    const detail = status === 414 ? DETAILS[414] : 'The URL is not validly percent-encoded';
    (reply as FastifyReply)
      .status(status)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem(status, codeForStatus(status), detail));
  },
};

function parserErrorStatus(code: string | undefined): 400 | 408 | 431 {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

/** A response already on its way (to an earlier request on the socket) must not be corrupted. */
function responseStarted(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}
