import { SessionStoreError } from '@larder/session-store';
import type { FastifyError, FastifyInstance } from 'fastify';

/** What a visitor sees while the session store cannot be reached: a page that says so, never a session id. */
export const STORE_DOWN_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back in a moment</title></head>' +
  '<body><h1>We cannot reach our session store right now</h1><p>Your session is safe. Please try again in a moment.</p>' +
  '<p><a href="/">Back to the shop</a></p></body></html>';

/** A session store that cannot be reached is an outage, not a bug: a 503 page with Retry-After; other errors go to Fastify's handler. */
export function showStoreDown(app: FastifyInstance): void {
  app.setErrorHandler(function storeDown(error: FastifyError, request, reply) {
    if (!(error instanceof SessionStoreError) || error.statusCode !== 503) return reply.send(error);
    // Nothing to save while the store is down: @fastify/session's onSend skips a request without a session.
    (request as { session: unknown }).session = null;
    return reply.code(503).header('retry-after', '30').type('text/html; charset=utf-8').send(STORE_DOWN_PAGE);
  });
}
