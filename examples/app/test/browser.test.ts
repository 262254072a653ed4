import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cache, MemcachedBackend } from '@larder/core';
import { freePort, MemcachedServer, waitForPort } from '@larder/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chartPixels } from './chart-pixels.js';

const appDir = fileURLToPath(new URL('../', import.meta.url));
const screenshots = fileURLToPath(new URL('../test-results/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The example app as a user runs it: its own process, on memcached, from the README's command. */
class ExampleProcess {
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<void> {
    this.#child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: appDir,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForPort('127.0.0.1', this.port, 20_000);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

describe('the example app in a real Chromium, sessions on memcached', () => {
  let memcached: MemcachedServer;
  let app: ExampleProcess;
  let browser: Browser;
  let page: Page;
  let base: string;

  before(async () => {
    memcached = await MemcachedServer.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = new ExampleProcess(port, { MEMCACHED_SERVERS: memcached.address, MEMCACHIER_SERVERS: '', SESSION_SECRET: 'browser test secret, thirty-two characters or more' });
    await app.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await memcached?.stop();
  });

  it('logs in, keeps the session across a reload and an app restart, and logs out', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#name', 'Grace');
    await page.click('#submit');
    await page.waitForURL(`${base}/`);
    assert.equal((await page.textContent('#who'))?.trim(), 'Signed in as Grace');

    await page.reload();
    assert.equal((await page.textContent('#who'))?.trim(), 'Signed in as Grace');

    await app.stop();
    await app.start();
    await page.reload();
    assert.equal((await page.textContent('#who'))?.trim(), 'Signed in as Grace', 'the session outlived the app process');

    const cookie = (await page.context().cookies()).find((c) => c.name === 'sessionId');
    assert.ok(cookie, 'the browser holds a session cookie');
    const sessionId = decodeURIComponent(cookie.value).split('.')[0]!;
    const peek = new Cache({ backend: new MemcachedBackend({ servers: memcached.address }), keyPrefix: 'example:', logger: { warn: () => {} } });
    try {
      const stored = await peek.backend.get(peek.backendKey(`sess:${sessionId}`));
      assert.ok(stored, 'the session is in memcached under example:sess:<id>');
      assert.equal(stored.value.includes('Grace'), false, 'sealed: memcached holds no plaintext of it');
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: `${screenshots}logged-in.png`, fullPage: true });

      await page.click('#logout');
      await page.waitForSelector('#login-link');
      assert.equal(await page.$('#who'), null);
      assert.equal(await peek.get(`sess:${sessionId}`), undefined, 'logging out deleted the stored session');
    } finally {
      await peek.close();
    }
  });

  it("the view-cached page's second load is a hit", async () => {
    const first = await page.goto(`${base}/catalog`);
    const firstRenderedAt = await page.textContent('#rendered-at');
    const second = await page.goto(`${base}/catalog`);
    assert.equal(first?.status(), 200);
    assert.equal(first?.headers()['x-cache'], 'MISS');
    assert.equal(second?.headers()['x-cache'], 'HIT');
    assert.equal(await page.textContent('#rendered-at'), firstRenderedAt, 'the second load is the stored page');
    await page.screenshot({ path: `${screenshots}catalog.png`, fullPage: true });
    await page.goto(`${base}/stats`);
    assert.ok(Number(await page.textContent('#hits')) >= 1);
    assert.match((await page.textContent('#backend')) ?? '', /memcached/);
  });

  it('the /stats chart is drawn in its first second: axes and both lines, in a screenshot', async () => {
    await page.setViewportSize({ width: 900, height: 900 });
    // Traffic a little before the page opens: the chart shows it at once, from the server's readings.
    for (let i = 0; i < 5; i++) await fetch(`${base}/catalog`);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await page.goto(`${base}/stats`);
    await page.waitForTimeout(900);
    const shot = await page.locator('#graph').screenshot({ path: `${screenshots}stats-graph-first-second.png` });
    const counts = await chartPixels(page, shot);
    assert.ok(counts.axis > 600, `the chart has axes (dark pixels: ${counts.axis})`);
    assert.ok(counts.green > 60, `the hits line, with the traffic of a moment ago, is drawn within a second of loading (green pixels: ${counts.green})`);
    assert.notEqual(await page.textContent('#y-max'), '', 'the y axis is labelled');
  });

  it('the live /stats page: its numbers and graph move with traffic, without a reload', async () => {
    await page.goto(`${base}/stats`);
    const catalogHits = async () => Number((await page.textContent('#routes tr[data-route="GET /catalog"] td:nth-child(3)', { timeout: 5000 })) ?? NaN);
    const before = await catalogHits();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    // Traffic from elsewhere (another client), while the page stays open.
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/catalog`)).headers.get('x-cache'), 'HIT');
    // Expressions evaluated in the page (this file is typechecked without the DOM library).
    await page.waitForFunction(`Number(document.querySelector('#routes tr[data-route="GET /catalog"] td:nth-child(3)')?.textContent) >= ${before + 3}`, undefined, { timeout: 10_000 });
    await page.waitForFunction(`(document.getElementById('hits-line')?.getAttribute('points') ?? '').split(' ').length >= 2`, undefined, { timeout: 10_000 });
    assert.deepEqual(navigations, [], 'no reload');
    assert.match((await page.textContent('#servers')) ?? '', new RegExp(`${memcached.address}: in service`));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /larder_view_requests_total\{cache="example",route="GET \/catalog",result="hit"\} \d+/);
    await page.screenshot({ path: `${screenshots}stats.png`, fullPage: true });
  });
});
