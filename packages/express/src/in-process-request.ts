import { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Injector } from '@larder/http';
import type { ExpressAppLike } from './express-types.js';

/**
 * Runs a request through an Express app in this process, without a network connection (the
 * background refresh of a stale page): a request and a response of Node's own classes, on a
 * stand-in socket that takes whatever is written and drops it (so a streamed body, `sendFile`,
 * flows to its end instead of waiting for a drain that never comes) and that carries the stale
 * request's client address (so `trust proxy` judges its forwarded headers as it did). Runs in the
 * root app the given one is mounted in, since the URL is the original one. Resolves with the
 * status once the response ends. Fastify's `inject` does this for Fastify; light-my-request's
 * objects do not survive Express replacing a request's prototype, so Larder makes its own.
 */
export function injectInto(app: ExpressAppLike): Injector {
  return ({ method, url, headers, remoteAddress }) =>
    new Promise((resolve, reject) => {
      let root = app;
      while (root.parent !== undefined) root = root.parent;
      const socket = new PassThrough();
      socket.resume();
      Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress, enumerable: true });
      const request = new IncomingMessage(socket as never);
      request.method = method;
      request.url = url;
      request.headers = { ...headers };
      request.httpVersion = '1.1';
      request.httpVersionMajor = 1;
      request.httpVersionMinor = 1;
      request.push(null);
      const response = new ServerResponse(request);
      response.assignSocket(socket as never);
      // An http.Server tells a response its socket drained; here nobody else would.
      socket.on('drain', () => response.emit('drain'));
      response.once('finish', () => {
        resolve({ statusCode: response.statusCode });
        response.detachSocket(socket as never);
        socket.destroy();
      });
      response.once('error', reject);
      try {
        root(request, response);
      } catch (error) {
        reject(error);
      }
    });
}
