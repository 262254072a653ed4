import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Injector } from '@larder/http';
import type { ExpressAppLike } from './express-types.js';

/**
 * Runs a request through an Express app in this process, without a socket (the background refresh
 * of a stale page): a request and a response of Node's own classes, on a socket that never
 * connects, so Express, its routers and middleware (sessions, authentication) see an ordinary
 * request. Resolves with the status once the response ends; what it wrote is kept in memory until
 * then and dropped with it. Fastify's `inject` does this for Fastify; light-my-request's objects do
 * not survive Express replacing a request's prototype, so Larder makes its own.
 */
export function injectInto(app: ExpressAppLike): Injector {
  return ({ method, url, headers }) =>
    new Promise((resolve, reject) => {
      const request = new IncomingMessage(new Socket());
      request.method = method;
      request.url = url;
      request.headers = { ...headers };
      request.httpVersion = '1.1';
      request.httpVersionMajor = 1;
      request.httpVersionMinor = 1;
      request.push(null);
      const response = new ServerResponse(request);
      const end = response.end;
      response.end = function larderRefreshEnd(this: ServerResponse, ...args: unknown[]) {
        const result = (end as (...a: unknown[]) => ServerResponse).apply(this, args);
        resolve({ statusCode: response.statusCode });
        return result;
      } as typeof response.end;
      try {
        app(request, response);
      } catch (error) {
        reject(error);
      }
    });
}
