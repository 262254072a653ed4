// `node --import tsx src/profile/engine-hit.ts`: what the response cache itself costs per hit, in
// process, without HTTP: `ResponseCache.begin` answering a stored 1 KiB page from the memory
// backend through an adapter that does nothing, against the same loop building the request only.
// The rest of a hit's cost is the framework's and Node's (see profile.ts).
import { Cache, MemoryBackend, NO_RECOMPUTE } from '@larder/core';
import { ResponseCache, toCacheRule, ViewStatsTable, type HttpAdapter } from '@larder/http';

interface FakeRequest {
  url: string;
  headers: Record<string, string>;
}

let sent = 0;
const adapter: HttpAdapter<FakeRequest, object> = {
  method: () => 'GET',
  url: (request) => request.url,
  headers: (request) => request.headers,
  host: (request) => request.headers.host ?? '',
  route: () => '/page',
  remoteAddress: () => '127.0.0.1',
  carriesSession: () => false,
  log: () => ({ debug: () => {}, warn: () => {} }),
  send: () => void sent++,
  setHeader: () => {},
  getHeader: () => undefined,
  onClose: () => {},
  onHeadersSent: (_response, _retract, listener) => listener({ status: 200, header: () => undefined }),
};
const cache = new Cache({ backend: new MemoryBackend() });
const engine = new ResponseCache(cache, adapter);
const rule = toCacheRule<FakeRequest>({ ttl: 0 }, { option: 'cache', route: 'GET /page', pattern: '/page' }, NO_RECOMPUTE, new ViewStatsTable())!;
const request = (): FakeRequest => ({ url: '/page', headers: { host: 'shop.example', 'user-agent': 'bench', accept: '*/*' } });

const miss = request();
await engine.begin(rule, miss, {});
engine.finish(miss, {}, { status: 200, headers: { 'content-type': 'text/html' }, body: 'x'.repeat(1024) });
await engine.drain();
await engine.begin(rule, request(), {}); // the read that fills the decode memo

const N = 300_000;
const perOp = (loop: () => void) => {
  const start = performance.now();
  loop();
  return ((performance.now() - start) * 1000) / N;
};
const hits: number[] = [];
const empty: number[] = [];
for (let round = 0; round < 5; round++) {
  hits.push(perOp(() => { for (let i = 0; i < N; i++) engine.begin(rule, request(), {}); }));
  empty.push(perOp(() => { for (let i = 0; i < N; i++) request(); }));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[2]!;
if (sent < N * 5) throw new Error(`only ${sent} hits were answered at once`);
console.log(`ResponseCache.begin on a memory-backend hit: ${(median(hits) - median(empty)).toFixed(2)} µs per hit (median of 5 rounds of ${N}, the request's own making taken off)`);
await cache.close();
