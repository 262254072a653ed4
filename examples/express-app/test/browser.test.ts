import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemcachedBackend, type Backend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { chromium, type Browser, type BrowserContext, type Cookie, type Page } from 'playwright-core';
import { buildApp, type ExampleApp } from '../src/app.js';
import { closeServer, listen, portOf } from '../src/http-server.js';
import { SESSION_COOKIE } from '../src/sessions.js';
import { chartPixels } from '../../app/test/chart-pixels.js';

const screenshots = fileURLToPath(new URL('../test-results/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'browser test secret, thirty-two characters or more';
const USER = 'Grace Hopper';

let browser: Browser;
before(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
after(async () => {
  await browser?.close();
});

/** The shop listening on a free loopback port, with the environment `env` alone (nothing of the test's own). */
async function startShop(env: NodeJS.ProcessEnv): Promise<{ example: ExampleApp; server: Server; base: string; log: string[] }> {
  const log: string[] = [];
  const example = buildApp({ env, sessionSecret: SECRET, lookupDelayMs: 10, logger: { warn: (message) => log.push(message) } });
  const server = await listen(example.app, 0, '127.0.0.1');
  return { example, server, base: `http://127.0.0.1:${portOf(server)}`, log };
}

/** The session id inside express-session's signed cookie value (`s:<id>.<signature>`, URL-encoded). */
function sessionIdOf(cookie: Cookie): string {
  const value = decodeURIComponent(cookie.value);
  assert.ok(value.startsWith('s:'), 'a signed express-session cookie');
  return value.slice(2, value.lastIndexOf('.'));
}

async function sessionCookie(context: BrowserContext): Promise<Cookie | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

for (const backend of ['memory', 'memcached'] as const) {
  describe(`the Express shop in a real Chromium, on the ${backend} backend`, () => {
    let memcached: MemcachedServer | undefined;
    let shop: Awaited<ReturnType<typeof startShop>>;
    /** Reads what is stored under a key: memcached through a client of its own, memory through the app's backend. */
    let storage: Backend;
    let guest: BrowserContext;
    let member: BrowserContext;
    let guestPage: Page;
    let memberPage: Page;
    /** When the guests' shared catalog entry was rendered. */
    let sharedRenderedAt: string | null;
    /** The member's session cookie, kept to replay it after the logout. */
    let loggedInCookie: Cookie;

    before(async () => {
      memcached = backend === 'memcached' ? await MemcachedServer.start() : undefined;
      shop = await startShop(memcached ? { MEMCACHED_SERVERS: memcached.address } : {});
      storage = memcached ? new MemcachedBackend({ servers: memcached.address }) : shop.example.larder.cache.backend;
      guest = await browser.newContext();
      member = await browser.newContext();
      guestPage = await guest.newPage();
      memberPage = await member.newPage();
    });
    after(async () => {
      await guest?.close();
      await member?.close();
      if (memcached) await storage?.close();
      if (shop) {
        await closeServer(shop.server);
        await shop.example.close();
      }
      await memcached?.stop();
    });

    it('says which backend it chose', () => {
      assert.match(shop.log.join('\n'), backend === 'memcached' ? new RegExp(`using memcached.*${memcached!.address}`) : /using the in-memory backend/);
      assert.match(shop.example.larder.cache.backend.name, backend === 'memcached' ? /^memcached/ : /^memory$/);
    });

    it('serves the catalog page from the cache on its second load (MISS, then HIT)', async () => {
      const first = await guestPage.goto(`${shop.base}/catalog`);
      assert.equal(first?.status(), 200);
      assert.equal(first?.headers()['x-cache'], 'MISS');
      sharedRenderedAt = await guestPage.textContent('#rendered-at');
      const second = await guestPage.goto(`${shop.base}/catalog`);
      assert.equal(second?.headers()['x-cache'], 'HIT');
      assert.equal(await guestPage.textContent('#rendered-at'), sharedRenderedAt, 'the second load is the stored page');
      assert.equal(shop.example.catalog.lookups.all, 1, 'the handler ran once');
      await guestPage.screenshot({ path: `${screenshots}${backend}-catalog.png`, fullPage: true });
    });

    it('caches the best-sellers fragment: the memoized service method runs once across reloads and visitors', async () => {
      await guestPage.goto(`${shop.base}/`);
      const fragment = await guestPage.textContent('#fragment-rendered-at');
      assert.match(fragment ?? '', /fragment rendered at \d{4}-/);
      for (let reload = 0; reload < 2; reload++) {
        await guestPage.reload();
        assert.equal(await guestPage.textContent('#fragment-rendered-at'), fragment, 'the fragment is the stored one');
      }
      await memberPage.goto(`${shop.base}/`);
      assert.equal(await memberPage.textContent('#fragment-rendered-at'), fragment, 'another visitor gets the same fragment');
      assert.equal(shop.example.catalog.lookups.bestSellers, 1, 'bestSellers() ran once');
      await guestPage.screenshot({ path: `${screenshots}${backend}-home.png`, fullPage: true });
    });

    it("logs in: the pages show the user, bypass the cache with Vary: Cookie, and guests never get them", async () => {
      await memberPage.goto(`${shop.base}/login`);
      await memberPage.fill('#name', USER);
      await memberPage.click('#submit');
      await memberPage.waitForURL(`${shop.base}/`);
      assert.equal((await memberPage.textContent('#who'))?.trim(), `Signed in as ${USER}`);
      const home = await memberPage.reload();
      assert.match(home?.headers().vary ?? '', /\bcookie\b/i, 'a page shown with a session varies on the cookie');
      assert.equal((await memberPage.textContent('#who'))?.trim(), `Signed in as ${USER}`);

      for (let load = 0; load < 2; load++) {
        const page = await memberPage.goto(`${shop.base}/catalog`);
        assert.equal(page?.headers()['x-cache'], 'BYPASS');
        assert.match(page?.headers().vary ?? '', /\bcookie\b/i);
        assert.equal((await memberPage.textContent('#who'))?.trim(), `Signed in as ${USER}`);
        assert.notEqual(await memberPage.textContent('#rendered-at'), sharedRenderedAt, 'rendered for the member, not the shared entry');
      }
      assert.equal(shop.example.catalog.lookups.all, 3, 'each signed-in load ran the handler');
      await memberPage.screenshot({ path: `${screenshots}${backend}-logged-in.png`, fullPage: true });

      // The guest, and a visitor who never came before, still get the shared guest page.
      const stranger = await browser.newContext();
      try {
        for (const page of [guestPage, await stranger.newPage()]) {
          const response = await page.goto(`${shop.base}/catalog`);
          assert.equal(response?.headers()['x-cache'], 'HIT');
          assert.equal(await page.textContent('#rendered-at'), sharedRenderedAt);
          assert.equal(await page.$('#who'), null);
          assert.ok(await page.$('#login-link'));
          assert.equal((await page.content()).includes(USER), false, "never the member's page");
        }
      } finally {
        await stranger.close();
      }

      const cookie = await sessionCookie(member);
      assert.ok(cookie, 'the member holds a session cookie');
      assert.equal(cookie.httpOnly, true);
      loggedInCookie = cookie;
    });

    it('keeps the session sealed in the store: no plaintext of it under example:sess:<id>', async () => {
      const stored = await storage.get(`example:sess:${sessionIdOf(loggedInCookie)}`);
      assert.ok(stored, `the session is stored in ${backend}`);
      assert.equal(stored.value.subarray(0, 2).toString('latin1'), 'LS', 'the mark of a sealed session');
      for (const plain of [USER, 'Grace', '"user"', '"cookie"']) assert.equal(stored.value.includes(plain), false, `no ${plain} in the stored bytes`);
      assert.equal(shop.example.sessions.sealed, true);
    });

    it('logs out: the session is gone, a reload shows the guest page, and the old cookie replayed is a guest', async () => {
      const key = `example:sess:${sessionIdOf(loggedInCookie)}`;
      await memberPage.goto(`${shop.base}/`);
      await memberPage.click('#logout');
      await memberPage.waitForSelector('#login-link');
      assert.equal(await memberPage.$('#who'), null);
      assert.equal(await sessionCookie(member), undefined, 'the logout cleared the cookie');
      assert.equal(await storage.get(key), undefined, 'the stored session was deleted');

      await memberPage.reload();
      assert.ok(await memberPage.$('#login-link'));
      assert.equal(await memberPage.$('#who'), null);

      // Someone who kept the old cookie sends it again: it names no session any more.
      await member.addCookies([loggedInCookie]);
      const home = await memberPage.goto(`${shop.base}/`);
      assert.equal(home?.status(), 200);
      assert.ok(await memberPage.$('#login-link'));
      assert.equal((await memberPage.content()).includes(USER), false);
      const catalog = await memberPage.goto(`${shop.base}/catalog`);
      assert.equal(catalog?.headers()['x-cache'], 'HIT', 'a guest again: the shared entry');
      assert.equal(await memberPage.textContent('#rendered-at'), sharedRenderedAt);
      assert.equal(await storage.get(key), undefined, 'the replay did not bring the session back');
    });

    it('the /stats page shows the cache, the cached route and the sessions', async () => {
      await guestPage.goto(`${shop.base}/stats`);
      assert.match((await guestPage.textContent('#backend')) ?? '', backend === 'memcached' ? /^memcached/ : /^memory$/);
      assert.ok(Number(await guestPage.textContent('#hits')) >= 1);
      const cell = async (name: string) => Number(await guestPage.textContent(`#routes tr[data-route="GET /catalog"] td.${name}`));
      assert.equal(await cell('misses'), 1);
      assert.equal(await cell('bypasses'), 2);
      assert.ok((await cell('hits')) >= 4);
      assert.equal(await guestPage.textContent('#best-seller-lookups'), '1');
      assert.equal(await guestPage.textContent('#session-rejected'), '0');
      const views = shop.example.larder.viewCacheStats();
      assert.deepEqual(views.map((row) => row.route), ['GET /catalog']);
      await guestPage.screenshot({ path: `${screenshots}${backend}-stats.png`, fullPage: true });
    });

    it('the /stats chart is drawn in its first second: axes and both lines, in a screenshot', async () => {
      await guestPage.setViewportSize({ width: 900, height: 900 });
      // Traffic a little before the page opens: the chart shows it at once, from the server's readings.
      for (let i = 0; i < 5; i++) await fetch(`${shop.base}/catalog`);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      await guestPage.goto(`${shop.base}/stats`);
      await guestPage.waitForTimeout(900);
      const shot = await guestPage.locator('#graph').screenshot({ path: `${screenshots}${backend}-stats-graph-first-second.png` });
      const counts = await chartPixels(guestPage, shot);
      assert.ok(counts.axis > 600, `the chart has axes (dark pixels: ${counts.axis})`);
      assert.ok(counts.green > 60, `the hits line, with the traffic of a moment ago, is drawn within a second of loading (green pixels: ${counts.green})`);
      assert.notEqual(await guestPage.textContent('#y-max'), '', 'the y axis is labelled');
    });

    it('the live /stats page: its numbers and chart move with traffic without a reload; /metrics serves the same counters', async () => {
      await guestPage.goto(`${shop.base}/stats`);
      const before = Number(await guestPage.textContent('#routes tr[data-route="GET /catalog"] td.hits'));
      const navigations: string[] = [];
      const onNavigate = (frame: { url(): string }) => void navigations.push(frame.url());
      guestPage.on('framenavigated', onNavigate);
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${shop.base}/catalog`)).headers.get('x-cache'), 'HIT');
      await guestPage.waitForFunction(`Number(document.querySelector('#routes tr[data-route="GET /catalog"] td.hits')?.textContent) >= ${before + 3}`, undefined, { timeout: 10_000 });
      await guestPage.waitForFunction(`(document.getElementById('hits-line')?.getAttribute('points') ?? '').split(' ').length >= 2`, undefined, { timeout: 10_000 });
      guestPage.off('framenavigated', onNavigate);
      assert.deepEqual(navigations, [], 'no reload');
      if (memcached) assert.match((await guestPage.textContent('#servers')) ?? '', new RegExp(`${memcached.address}: in service`));
      const metrics = await (await fetch(`${shop.base}/metrics`)).text();
      assert.match(metrics, /larder_view_requests_total\{cache="example",route="GET \/catalog",result="hit"\} \d+/);
      await guestPage.screenshot({ path: `${screenshots}${backend}-stats-live.png`, fullPage: true });
    });
  });
}
