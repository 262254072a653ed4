import { responseCacheConformance, responseCacheSessionConformance } from '@larder/http/conformance';
import compression from 'compression';
import cookieSession from 'cookie-session';
import cors from 'cors';
import type express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { expressVersions, startConformanceApp, suiteCaches, type ExpressStack } from './build-app.js';

// The response cache conformance suite and the session cases on the stacks Express apps really
// run: the middlewares are mounted first, as their documentation says, then Larder and the routes.
// express-session, cookie-session and compression set headers inside writeHead, after the handler.

const SECRET = 'a test secret that is long enough to sign cookies';

/** express-session's session as a handler reads and writes it. */
function expressSession(request: express.Request) {
  const held = request.session as unknown as Record<string, unknown>;
  return { get: (name: string) => held[name], set: (name: string, value: string) => void (held[name] = value) };
}

/** cookie-session's session (a plain object on `req.session`). */
function cookieSessionOf(request: express.Request) {
  const held = (request as unknown as { session: Record<string, unknown> }).session;
  return { get: (name: string) => held[name], set: (name: string, value: string) => void (held[name] = value) };
}

const common = (app: express.Express) => {
  app.use(helmet());
  app.use(compression());
  app.use(cors());
};

const withExpressSession = (saveUninitialized: boolean): ExpressStack => ({
  name: `express-session (saveUninitialized: ${saveUninitialized}), helmet, compression, cors`,
  mount: (app) => {
    common(app);
    app.use(session({ secret: SECRET, resave: false, saveUninitialized }));
  },
  session: expressSession,
});

const withCookieSession: ExpressStack = {
  name: 'cookie-session, helmet, compression, cors',
  mount: (app) => {
    common(app);
    app.use(cookieSession({ name: 'session', keys: [SECRET] }));
  },
  session: cookieSessionOf,
};

for (const version of expressVersions) {
  for (const stack of [withExpressSession(false), withCookieSession]) {
    for (const [backend, openCache] of suiteCaches) {
      const name = `${version.name} + ${stack.name} on ${backend}`;
      const start = (routes: Parameters<typeof startConformanceApp>[1], cache: Parameters<typeof startConformanceApp>[2]) => startConformanceApp(version, routes, cache, stack);
      responseCacheConformance({ name, openCache, start });
      responseCacheSessionConformance({ name, openCache, start, cookieOnEveryVisit: false });
    }
  }
  // Every first visit gets a cookie: no page can be shared, and none is (the conformance suite, which expects shared pages, does not apply).
  const everyVisit = withExpressSession(true);
  for (const [backend, openCache] of suiteCaches) {
    responseCacheSessionConformance({
      name: `${version.name} + ${everyVisit.name} on ${backend}`,
      openCache,
      start: (routes, cache) => startConformanceApp(version, routes, cache, everyVisit),
      cookieOnEveryVisit: true,
    });
  }
}
