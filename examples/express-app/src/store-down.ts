import { SessionStoreError } from '@larder/session-store';
import type { Express, NextFunction, Request, Response } from 'express';

/** What a visitor sees while the session store cannot be reached: a page that says so, never a session id. */
export const STORE_DOWN_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back in a moment</title></head>' +
  '<body><h1>We cannot reach our session store right now</h1><p>Your session is safe. Please try again in a moment.</p>' +
  '<p><a href="/">Back to the shop</a></p></body></html>';

/** A session store that cannot be reached is an outage, not a bug: a 503 page with Retry-After; other errors go on to Express's handler. */
export function showStoreDown(app: Express): void {
  app.use(function storeDown(error: unknown, _req: Request, res: Response, next: NextFunction) {
    if (!(error instanceof SessionStoreError) || error.statusCode !== 503 || res.headersSent) return next(error);
    res.status(503).set('retry-after', '30').type('html').send(STORE_DOWN_PAGE);
  });
}
