import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { MemoryBackend } from '@larder/core';
import { buildApp, quietCache } from './build-app.js';
import { get, listen } from './http-client.js';

/** A route whose first handler run never returns (until the test ends) and whose later runs answer at once. */
async function appWithStuckLeader(hijack: boolean) {
  const cache = quietCache(new MemoryBackend());
  const app = await buildApp(cache);
  let calls = 0;
  let started!: () => void;
  const firstStarted = new Promise<void>((resolve) => (started = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  app.get('/page', { config: { cache: true } }, async (_request, reply) => {
    const call = ++calls;
    if (call === 1) {
      started();
      if (hijack) {
        // The handler takes the socket over: Fastify runs no onSend for it.
        reply.hijack();
        reply.raw.end('raw');
        return reply;
      }
      await blocked;
    }
    return { call };
  });
  const base = await listen(app);
  return { app, cache, base, firstStarted, calls: () => calls, unblock };
}

/** `promise`, or a failure once `ms` have passed (so a request left waiting fails the test and lets it clean up). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a request that leads a miss and ends without a response sent through Fastify releases its waiters', () => {
  it('the client of the leading request goes away: a waiting request runs the handler itself', { timeout: 10_000 }, async () => {
    const { app, cache, base, firstStarted, calls, unblock } = await appWithStuckLeader(false);
    try {
      const url = new URL('/page', base);
      const leader = httpRequest({ host: url.hostname, port: url.port, path: '/page', agent: false });
      leader.on('error', () => {});
      leader.end();
      await firstStarted;
      const waiter = get(base, '/page');
      // Let the waiter reach the view cache (it waits for the leader) before the leader's client leaves.
      await new Promise((resolve) => setImmediate(resolve));
      leader.destroy();
      const answer = await within(5000, waiter);
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.text), { call: 2 });
      assert.equal(calls(), 2);
    } finally {
      unblock();
      await app.close();
      await cache.close();
    }
  });

  it('the leading handler hijacks the reply: a waiting request is not left waiting', { timeout: 10_000 }, async () => {
    const { app, cache, base, calls } = await appWithStuckLeader(true);
    try {
      const [first, second] = await within(5000, Promise.all([get(base, '/page'), get(base, '/page')]));
      assert.equal(first.text, 'raw');
      assert.equal(second.status, 200);
      assert.equal(calls(), 2);
    } finally {
      await app.close();
      await cache.close();
    }
  });
});
