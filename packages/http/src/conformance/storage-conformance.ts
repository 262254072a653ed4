import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewKey } from '../view-key.js';
import { plain, type SuiteContext } from './conformance-kit.js';
import type { ConformanceReply } from './conformance-target.js';

/** Responses the handler makes that must never be stored, each on a route of its own. */
const NEVER_STORED: ReadonlyArray<readonly [what: string, slug: string, reply: (calls: number) => ConformanceReply]> = [
  ['Set-Cookie', 'cookie', (calls) => plain(`cookie call ${calls}`, { 'set-cookie': 'sid=1; Path=/' })],
  ['Cache-Control: private', 'private', (calls) => plain(`private call ${calls}`, { 'cache-control': 'private, max-age=60' })],
  ['Cache-Control: no-store', 'no-store', (calls) => plain(`no-store call ${calls}`, { 'cache-control': 'no-store' })],
  ['Cache-Control: no-cache', 'no-cache', (calls) => plain(`no-cache call ${calls}`, { 'cache-control': 'no-cache' })],
  ['Vary: *', 'vary-star', (calls) => plain(`vary-star call ${calls}`, { vary: '*' })],
  ['a status not in statusCodes (500 with the default [200])', 'error', (calls) => plain(`error call ${calls}`, {}, 500)],
];

/** Bytes that are not UTF-8, to show a body is replayed byte for byte. */
const BINARY = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0d, 0x0a]);

/** The headers of a framework's request, as settings functions see it: Fastify's and Express's requests both have them. */
function headersOf(request: unknown): Readonly<Record<string, unknown>> {
  return (request as { headers: Record<string, unknown> }).headers;
}

/** Misses and hits, what is never stored, and who may be served a stored page (credentials, Vary, Host). */
export function storageConformance(ctx: SuiteContext): void {
  const page = ctx.route('/page/:id', {}, (request, calls) => plain(`page ${request.params.id} call ${calls}`, { 'x-made-by': 'handler' }));
  const notFound = ctx.route('/not-found', { statusCodes: [200, 404] }, (_request, calls) => plain(`not found call ${calls}`, {}, 404));
  const bytes = ctx.route('/bytes', {}, () => ({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: BINARY }));
  const empty = ctx.route('/empty', {}, () => plain(''));
  const posted = ctx.route('/posted', {}, (request, calls) => plain(`posted ${request.method} call ${calls}`));
  ctx.route('/posted', undefined, (request, calls) => plain(`posted ${request.method} call ${calls}`), 'POST');
  const fat = ctx.route('/search', { queryString: true }, (request, calls) => plain(`results for ${new URL(request.url, 'http://x').searchParams.get('q')} ${request.headers['content-length'] ?? request.headers['transfer-encoding'] ?? 'no body'} call ${calls}`));
  const skipped = ctx.route('/skipped', { unless: (request) => headersOf(request)['x-skip'] === '1' }, (_request, calls) => plain(`skipped call ${calls}`));
  const customKey = ctx.route('/custom/:id', { key: (request) => `custom/${String(headersOf(request)['x-tenant'])}` }, (request, calls) => plain(`custom ${request.params.id} call ${calls}`));
  const guest = ctx.route('/guest', {}, (_request, calls) => plain(`guest call ${calls}`));
  const auth = ctx.route('/auth', {}, (request, calls) => plain(`for ${request.headers.authorization ?? 'anyone'} call ${calls}`));
  const sharedAuth = ctx.route('/auth-shared', { shareAuthorized: true }, (request, calls) => plain(`for ${request.headers.authorization ?? 'anyone'} call ${calls}`));
  const vary = ctx.route('/vary', {}, (request, calls) => {
    const french = String(request.headers['accept-language']).startsWith('fr');
    return plain(`${french ? 'Bonjour' : 'Hello'} call ${calls}`, { vary: 'Accept-Language' });
  });
  const host = ctx.route('/host', {}, (request, calls) => plain(`page for ${request.headers.host} call ${calls}`));
  const never = NEVER_STORED.map(([what, slug, reply]) => [what, ctx.route(`/never/${slug}`, {}, (_request, calls) => reply(calls))] as const);

  describe('misses and hits', () => {
    it('a miss runs the handler (x-cache: MISS); the next request is a HIT with the same status, body and headers, plus Age', async () => {
      const miss = await ctx.get('/page/1');
      assert.equal(miss.status, 200);
      assert.equal(miss.headers['x-cache'], 'MISS');
      assert.equal(miss.text, 'page 1 call 1');
      const hit = await ctx.get('/page/1');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.status, miss.status);
      assert.equal(hit.text, miss.text);
      assert.equal(hit.headers['content-type'], miss.headers['content-type']);
      assert.equal(hit.headers['x-made-by'], 'handler');
      assert.equal(hit.headers['content-length'], miss.headers['content-length']);
      assert.match(String(hit.headers.age), /^\d+$/, 'a hit carries Age, a whole number of seconds');
      assert.equal(miss.headers.age, undefined, 'a miss carries no Age');
      assert.equal(ctx.calls(page), 1);
      const other = await ctx.get('/page/2');
      assert.equal(other.headers['x-cache'], 'MISS', 'another path is another entry');
      assert.equal(other.text, 'page 2 call 2');
    });

    it('a binary body is replayed byte for byte', async () => {
      const miss = await ctx.get(bytes);
      const hit = await ctx.get(bytes);
      assert.deepEqual(miss.body, BINARY);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.deepEqual(hit.body, BINARY);
      assert.equal(hit.headers['content-type'], 'application/octet-stream');
      assert.equal(ctx.calls(bytes), 1);
    });

    it('an empty 200 page is stored and replayed empty', async () => {
      await ctx.get(empty);
      const hit = await ctx.get(empty);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.status, 200);
      assert.equal(hit.body.length, 0);
      assert.equal(hit.headers['content-length'], '0');
      assert.equal(ctx.calls(empty), 1);
    });

    it('unless: a request it skips runs the handler, gets no x-cache, and stores nothing', async () => {
      const skip = await ctx.get(skipped, { 'x-skip': '1' });
      assert.equal(skip.headers['x-cache'], undefined);
      assert.equal((await ctx.get(skipped)).headers['x-cache'], 'MISS', 'the skipped request stored nothing');
      const again = await ctx.get(skipped, { 'x-skip': '1' });
      assert.equal(again.text, 'skipped call 3', 'a skipped request is not served the stored page');
      assert.equal((await ctx.get(skipped)).headers['x-cache'], 'HIT');
    });

    it('key: the route\'s own key function decides which requests share an entry, under the cache\'s prefix', async () => {
      await ctx.get('/custom/1', { 'x-tenant': 'acme' });
      const shared = await ctx.get('/custom/2', { 'x-tenant': 'acme' });
      assert.equal(shared.headers['x-cache'], 'HIT');
      assert.equal(shared.text, 'custom 1 call 1');
      assert.equal((await ctx.get('/custom/1', { 'x-tenant': 'globex' })).headers['x-cache'], 'MISS');
      assert.equal(ctx.calls(customKey), 2);
      await ctx.stored('custom/acme');
    });

    it('a status listed in statusCodes is stored and replayed as such', async () => {
      const miss = await ctx.get(notFound);
      const hit = await ctx.get(notFound);
      assert.equal(miss.status, 404);
      assert.equal(hit.status, 404);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.text, 'not found call 1');
      assert.equal(ctx.calls(notFound), 1);
    });
  });

  describe('never stored', () => {
    for (const [what, path] of never) {
      it(`a response with ${what}`, async () => {
        const first = await ctx.get(path);
        const second = await ctx.get(path);
        assert.notEqual(first.headers['x-cache'], 'HIT');
        assert.notEqual(second.headers['x-cache'], 'HIT');
        assert.match(second.text, / call 2$/, 'the handler ran for the second request');
        assert.equal(ctx.calls(path), 2);
        assert.equal(await ctx.cache.get(viewKey(path)), undefined);
      });
    }

    it('a POST response (only GET and HEAD are cached), and a POST is never served the GET\'s page', async () => {
      await ctx.get(posted);
      assert.equal((await ctx.get(posted)).headers['x-cache'], 'HIT');
      const first = await ctx.get(posted, {}, 'POST');
      const second = await ctx.get(posted, {}, 'POST');
      assert.equal(first.status, 200);
      assert.equal(first.text, 'posted POST call 1');
      assert.notEqual(second.headers['x-cache'], 'HIT');
      assert.equal(second.text, 'posted POST call 2');
      assert.equal(ctx.calls(posted, 'POST'), 2);
      assert.equal((await ctx.get(posted)).text, 'posted GET call 1', 'the POSTs did not replace the GET\'s page');
    });
  });

  describe('who is served a stored page', () => {
    it('a GET or HEAD carrying a body (Content-Length above 0, or Transfer-Encoding) neither reads nor fills the shared entry (x-cache: BYPASS)', async () => {
      const json = { 'content-type': 'application/json' };
      const poisoned = await ctx.get('/search?q=shoes', { ...json, 'content-length': '24' }, 'GET', '{"q":"<script>x</script>"}'.slice(0, 24));
      assert.equal(poisoned.headers['x-cache'], 'BYPASS');
      const chunked = await ctx.get('/search?q=shoes', { ...json, 'transfer-encoding': 'chunked' }, 'GET', '{"q":"<script>"}');
      assert.equal(chunked.headers['x-cache'], 'BYPASS');
      const plainGet = await ctx.get('/search?q=shoes');
      assert.equal(plainGet.headers['x-cache'], 'MISS', 'the bodies stored nothing');
      assert.equal(plainGet.text, 'results for shoes no body call 3');
      assert.equal((await ctx.get('/search?q=shoes')).headers['x-cache'], 'HIT');
      const later = await ctx.get('/search?q=shoes', { ...json, 'content-length': '2' }, 'GET', '{}');
      assert.equal(later.headers['x-cache'], 'BYPASS', 'and is not served the stored page either');
      assert.equal(later.text, 'results for shoes 2 call 4');
      const head = await ctx.get('/search?q=shoes', { 'content-length': '2' }, 'HEAD', '{}');
      assert.equal(head.headers['x-cache'], 'BYPASS');
      const empty = await ctx.get('/search?q=shoes', { 'content-length': '0' });
      assert.equal(empty.headers['x-cache'], 'HIT', 'Content-Length: 0 is no body');
      assert.equal(ctx.calls(fat), 5);
    });

    it('a request with Authorization bypasses the cache (x-cache: BYPASS): it is not served the shared page, and its own is not stored', async () => {
      assert.equal((await ctx.get(auth)).headers['x-cache'], 'MISS');
      const alice = await ctx.get(auth, { authorization: 'Bearer alice' });
      assert.equal(alice.headers['x-cache'], 'BYPASS');
      assert.equal(alice.text, 'for Bearer alice call 2');
      const anyone = await ctx.get(auth);
      assert.equal(anyone.headers['x-cache'], 'HIT');
      assert.equal(anyone.text, 'for anyone call 1');
      const bob = await ctx.get(auth, { authorization: 'Bearer bob' });
      assert.equal(bob.headers['x-cache'], 'BYPASS');
      assert.equal(bob.text, 'for Bearer bob call 3');
    });

    it('with shareAuthorized, a request with Authorization is served the shared page', async () => {
      await ctx.get(sharedAuth);
      const alice = await ctx.get(sharedAuth, { authorization: 'Bearer alice' });
      assert.equal(alice.headers['x-cache'], 'HIT');
      assert.equal(alice.text, 'for anyone call 1');
      assert.equal(ctx.calls(sharedAuth), 1);
    });

    it('Vary: Accept-Language gives an English and a French client each their own page, never the other\'s', async () => {
      const en1 = await ctx.get(vary, { 'accept-language': 'en' });
      const fr1 = await ctx.get(vary, { 'accept-language': 'fr' });
      assert.equal(en1.headers['x-cache'], 'MISS');
      assert.equal(fr1.headers['x-cache'], 'MISS');
      assert.equal(fr1.text, 'Bonjour call 2');
      const en2 = await ctx.get(vary, { 'accept-language': 'en' });
      const fr2 = await ctx.get(vary, { 'accept-language': 'fr' });
      assert.equal(en2.headers['x-cache'], 'HIT');
      assert.equal(en2.text, 'Hello call 1');
      assert.equal(fr2.headers['x-cache'], 'HIT');
      assert.equal(fr2.text, 'Bonjour call 2');
      assert.match(String(en2.headers.vary), /accept-language/i);
      assert.equal(ctx.calls(vary), 2);
    });

    it('a guest\'s cookies (no session library) do not keep it from the shared page', async () => {
      await ctx.get(guest);
      const withCookie = await ctx.get(guest, { cookie: 'theme=dark; _ga=GA1.1.1' });
      assert.equal(withCookie.headers['x-cache'], 'HIT');
      assert.equal(withCookie.text, 'guest call 1');
    });

    it('a page stored for one Host is never served to another', async () => {
      const a1 = await ctx.get(host, { host: 'a.example' });
      const b1 = await ctx.get(host, { host: 'b.example' });
      assert.equal(b1.headers['x-cache'], 'MISS');
      assert.equal(b1.text, 'page for b.example call 2');
      const a2 = await ctx.get(host, { host: 'a.example' });
      const b2 = await ctx.get(host, { host: 'b.example' });
      assert.equal(a2.headers['x-cache'], 'HIT');
      assert.equal(a2.text, a1.text);
      assert.equal(b2.headers['x-cache'], 'HIT');
      assert.equal(b2.text, 'page for b.example call 2');
      assert.equal(ctx.calls(host), 2);
      // X-Forwarded-Host counts only from a proxy the app trusts (none here): it cannot pick another Host's page.
      const forged = await ctx.get(host, { host: 'c.example', 'x-forwarded-host': 'a.example' });
      assert.equal(forged.headers['x-cache'], 'MISS');
      assert.equal(forged.text, 'page for c.example call 3');
    });
  });
}
