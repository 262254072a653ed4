import { carriesSession, whenHeadSent, type HttpAdapter } from '@larder/http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request properties @fastify/session and @fastify/cookie decorate, when registered. */
interface SessionRequest {
  session?: unknown;
  cookies?: unknown;
}

/**
 * How @larder/http sees Fastify: the request's Host is `request.host` (so `X-Forwarded-Host` when
 * `trustProxy` trusts it), its route the pattern it was registered with, and a session is one of
 * @fastify/session (or another plugin that sets `request.session`, see `carriesSession`).
 */
export const fastifyAdapter: HttpAdapter<FastifyRequest, FastifyReply> = {
  method: (request) => request.method,
  url: (request) => request.url,
  headers: (request) => request.headers,
  // No Host (HTTP/1.0) is a Host of its own, ''.
  host: (request) => request.host ?? '',
  route: (request) => request.routeOptions.url ?? '',
  remoteAddress: (request) => request.raw.socket?.remoteAddress,
  carriesSession: (request) => {
    const session = (request as SessionRequest).session;
    return session != null && carriesSession(session, (request as SessionRequest).cookies, request.headers.cookie);
  },
  log: (request) => request.log,
  send: (reply, status, headers, body, label, age) => {
    reply.code(status).headers(headers).header('x-cache', label).header('age', age).send(body);
  },
  setHeader: (reply, name, value) => {
    if (!reply.sent) reply.header(name, value);
  },
  getHeader: (reply, name) => reply.getHeader(name),
  onClose: (reply, listener) => {
    reply.raw.once('close', listener);
  },
  // Fastify writes its headers with one raw writeHead(status, headers) after the onSend hooks.
  onHeadersSent: (reply, retract, listener) => whenHeadSent(reply.raw, retract, listener),
};
