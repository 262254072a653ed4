import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { plain, serveSuite, SuiteContext, type ConformanceResponse } from './conformance-kit.js';
import type { ConformanceRequest, ResponseCacheTarget } from './conformance-target.js';

/** A target whose app runs under a session middleware that hands handlers `request.session`. */
export interface SessionStackTarget extends ResponseCacheTarget {
  /** True when the middleware gives every first visit a session cookie, written to or not (express-session's and @fastify/session's `saveUninitialized: true`). */
  readonly cookieOnEveryVisit: boolean;
}

function sessionOf(request: ConformanceRequest): NonNullable<ConformanceRequest['session']> {
  if (request.session === undefined) assert.fail('session conformance: the target gave the handler no session');
  return request.session;
}

/** The `name=value` pairs of a response's Set-Cookie headers, to send back as a Cookie header. */
function cookiesOf(response: ConformanceResponse): string {
  const set = response.headers['set-cookie'] ?? [];
  return set.map((cookie) => cookie.split(';')[0]!).join('; ');
}

/**
 * Pages and sessions under a real session middleware, over real HTTP: no visitor is ever served a
 * page made for another visitor's session, whether the handler wrote to the session (a CSRF token
 * on a form page) or the middleware set its cookie on its own, inside writeHead, after the handler.
 */
export function responseCacheSessionConformance(target: SessionStackTarget): void {
  describe(`response cache and sessions: ${target.name}`, () => {
    const ctx = new SuiteContext();
    // cacheControl: the cache would send `public`; a page that sets a cookie must go out without it.
    const form = ctx.route('/form', { cacheControl: true }, (request, calls) => {
      const token = randomBytes(12).toString('hex');
      sessionOf(request).set('csrf', token);
      return plain(`form token=${token} call ${calls}`);
    });
    const greeting = ctx.route('/hello', {}, (request, calls) => plain(`hello ${String(sessionOf(request).get('user') ?? 'guest')} call ${calls}`));
    const login = ctx.route('/login', undefined, (request) => {
      sessionOf(request).set('user', 'alice');
      return plain('signed in');
    });

    serveSuite(ctx, target);

    it("a page whose handler writes to the session (a form's CSRF token) is never served to another visitor", async () => {
      const tokens = new Set<string>();
      for (let visitor = 1; visitor <= 4; visitor++) {
        const page = await ctx.get(form);
        assert.equal(page.status, 200);
        assert.notEqual(page.headers['x-cache'], 'HIT', `visitor ${visitor} was served another visitor's form`);
        assert.match(page.text, new RegExp(` call ${visitor}$`), 'the handler ran for each visitor');
        assert.ok(page.headers['set-cookie'] !== undefined, 'each visitor got a session cookie of their own');
        assert.doesNotMatch(String(page.headers['cache-control'] ?? ''), /public/, 'no shared-cache header on a page that sets a cookie');
        tokens.add(page.text.split(' ')[1]!);
      }
      assert.equal(tokens.size, 4, 'four visitors, four tokens');
      assert.equal(ctx.calls(form), 4);
    });

    it('a guest page that does not touch the session is shared, unless the middleware gives every visit a cookie', async () => {
      const first = await ctx.get(greeting);
      assert.equal(first.text, 'hello guest call 1');
      const second = await ctx.get(greeting);
      assert.match(second.text, /^hello guest call /);
      if (target.cookieOnEveryVisit) {
        assert.notEqual(second.headers['x-cache'], 'HIT', "a page that set the first visitor's cookie is not stored");
        assert.equal(second.text, 'hello guest call 2');
        assert.notEqual(cookiesOf(first), cookiesOf(second), 'each visitor keeps a cookie of their own');
      } else {
        assert.equal(first.headers['set-cookie'], undefined);
        assert.equal(second.headers['x-cache'], 'HIT');
        assert.equal(second.headers['set-cookie'], undefined);
      }
    });

    it("a signed-in visitor bypasses the cache (Vary: Cookie) and is never served the guests' page; guests never get theirs", async () => {
      const guestCalls = ctx.calls(greeting);
      const signedIn = await ctx.get(login);
      const cookie = cookiesOf(signedIn);
      assert.ok(cookie !== '', 'signing in sets the session cookie');
      const alice = await ctx.get(greeting, { cookie });
      assert.equal(alice.text, `hello alice call ${guestCalls + 1}`);
      assert.equal(alice.headers['x-cache'], 'BYPASS');
      assert.match(String(alice.headers.vary), /cookie/i);
      const again = await ctx.get(greeting, { cookie });
      assert.equal(again.text, `hello alice call ${guestCalls + 2}`, "alice's page was not stored");
      const guest = await ctx.get(greeting);
      assert.match(guest.text, /^hello guest call /, 'a guest is never served the signed-in page');
    });
  });
}
