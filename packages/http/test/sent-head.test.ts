import assert from 'node:assert/strict';
import { createServer, OutgoingMessage, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { whenHeadSent, type SentHead } from '../src/sent-head.js';

// whenHeadSent over real HTTP/1 responses: what went on the wire, however a middleware set it,
// and the cache's Cache-Control taken back whenever a cookie goes with it.

const RETRACT = { 'cache-control': 'public, max-age=60' };

/** Serves one request with `handle`, returns what the client received and what whenHeadSent reported. */
async function serve(handle: (response: ServerResponse, watch: () => Promise<SentHead | undefined>) => void): Promise<{ headers: IncomingHttpHeaders; head: SentHead | undefined }> {
  let reported!: Promise<SentHead | undefined>;
  const server = createServer((_request, response) => {
    reported = new Promise((resolve) => handle(response, () => {
      whenHeadSent(response, RETRACT, resolve);
      return reported;
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.headers));
      }).on('error', reject).end();
    });
    return { headers, head: await reported };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** What on-headers does: wraps writeHead so a listener runs inside it, before Node writes the head. */
function onHeaders(response: ServerResponse, listener: () => void): void {
  const writeHead = response.writeHead;
  response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    listener();
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

describe('whenHeadSent: the head as it went on the wire', () => {
  it('a cookie set inside writeHead through OutgoingMessage.prototype.setHeader (the cookies package) is seen, and takes back the cache\'s Cache-Control', async () => {
    const { headers, head } = await serve((response, watch) => {
      onHeaders(response, () => OutgoingMessage.prototype.setHeader.call(response, 'Set-Cookie', ['sid=visitor1']));
      response.setHeader('cache-control', RETRACT['cache-control']);
      void watch();
      response.end('page');
    });
    assert.deepEqual(headers['set-cookie'], ['sid=visitor1']);
    assert.equal(headers['cache-control'], undefined);
    assert.deepEqual(head?.header('set-cookie'), ['sid=visitor1']);
  });

  it('headers given to writeHead as a flat array, with a cookie: seen, and the cache\'s Cache-Control left out', async () => {
    const { headers, head } = await serve((response, watch) => {
      void watch();
      response.writeHead(200, ['Set-Cookie', 'sid=2', 'Cache-Control', RETRACT['cache-control'], 'Content-Type', 'text/plain']);
      response.end('page');
    });
    assert.equal(headers['cache-control'], undefined);
    assert.ok(head?.header('set-cookie') !== undefined);
  });

  it('headers that already went, given to writeHead as an object while the header map was empty: read from what Node wrote', async () => {
    const { head } = await serve((response, watch) => {
      response.writeHead(200, { 'set-cookie': 'sid=3', 'content-type': 'text/plain' });
      void watch();
      response.end('page');
    });
    assert.deepEqual(head?.header('set-cookie'), ['sid=3']);
    assert.equal(head?.status, 200);
  });

  it('a writeHead that throws reports nothing sent', async () => {
    const { head } = await serve((response, watch) => {
      const watched = watch();
      assert.throws(() => response.writeHead(200, { 'x-bad': 'a\nb' }));
      void watched;
      response.end('page');
    });
    assert.equal(head, undefined);
  });

  it('without a cookie, the cache\'s Cache-Control goes out', async () => {
    const { headers, head } = await serve((response, watch) => {
      response.setHeader('cache-control', RETRACT['cache-control']);
      void watch();
      response.end('page');
    });
    assert.equal(headers['cache-control'], RETRACT['cache-control']);
    assert.equal(head?.header('set-cookie'), undefined);
  });
});
