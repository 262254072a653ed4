import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Agent, request as forward } from 'undici';
import { larderPlugin, viewKey, type LarderPluginOptions } from '@larder/fastify-plugin';

/** Options of the caching proxy. */
export interface ProxyOptions {
  /** The origin every request is forwarded to: `http://127.0.0.1:8000`. */
  upstream: string;
  /** Where Larder caches (default: in memory): `{ servers: '127.0.0.1:11211' }` for memcached. */
  cache?: LarderPluginOptions;
  /** Log requests and errors with Fastify's logger (default false). */
  logger?: boolean;
}

// Fields of one connection (RFC 9110 7.6.1), never forwarded either way, nor those Connection names.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);
// What only a proxy may tell the origin (the client's host, scheme, address, a URL or a method to
// route by): from a client they would be inputs the cache does not key on, one client's page for
// everyone (a GET an origin takes as a DELETE through a method override, stored for all).
const FORWARDING = /^(?:forwarded|x-forwarded-.*|x-original-url|x-rewrite-url|x-host|x-http-method-override|x-method-override|x-http-method)$/;
/** This cache's device token in Surrogate-Capability / Surrogate-Control. */
const SURROGATE = 'larder';
/** Methods that change what a URL holds: a success invalidates it (RFC 9111 4.4). */
const UNSAFE = ['POST', 'PUT', 'DELETE', 'PATCH', 'M-SEARCH'];

/**
 * A caching reverse proxy: GET and HEAD go through Larder's response cache with freshness from
 * the response (`freshness: 'response'`, RFC 9111 for a shared cache), keyed by path and query;
 * every other method is forwarded as is, and a success invalidates the entries of its URL and of
 * the URLs its Location and Content-Location name.
 */
export async function buildProxy(options: ProxyOptions): Promise<FastifyInstance> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAliveTimeout: 4000 });
  const app = Fastify({ logger: options.logger ?? false });
  app.addHttpMethod('M-SEARCH', { hasBody: true });
  // The body is passed on as bytes, whatever its type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await app.register(larderPlugin, { ...options.cache, setDefault: false });

  const pass = async (request: FastifyRequest, reply: FastifyReply): Promise<Buffer> => {
    const headers: Record<string, string | string[]> = {};
    const named = connectionNames(request.headers.connection);
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name) && !FORWARDING.test(name)) headers[name] = value;
    // Tells the upstream it may address this cache in Surrogate-Control (`max-age=60;larder`).
    headers['surrogate-capability'] = `${SURROGATE}="Surrogate/1.0"`;
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const answer = await forward(new URL(request.url, upstream), { method: request.method, headers, body: body ?? null, dispatcher: agent });
    // A 304's Content-Length is the stored body's (RFC 9110 8.6), which undici takes as this one's and fails: a 304 has no body anyway.
    const payload = answer.statusCode === 304 ? await answer.body.dump().then(() => Buffer.alloc(0), () => Buffer.alloc(0)) : Buffer.from(await answer.body.arrayBuffer());
    const dropped = connectionNames(answer.headers.connection);
    reply.code(answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !dropped.has(name)) reply.header(name, value);
    }
    return payload;
  };

  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    config: { cache: { freshness: 'response', queryString: true, surrogateControl: SURROGATE } },
    handler: async (request, reply) => reply.send(await pass(request, reply)),
  });
  app.route({
    method: UNSAFE,
    url: '/*',
    handler: async (request, reply) => {
      const payload = await pass(request, reply);
      if (reply.statusCode >= 200 && reply.statusCode < 400) await invalidate(app, request, reply);
      return reply.send(payload);
    },
  });
  app.addHook('onClose', async () => agent.close());
  return app;
}

/** Deletes the entries of the request's URL and of same-origin Location / Content-Location URLs. */
async function invalidate(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const base = new URL(request.url, `http://${request.host}`);
  const targets = [base];
  for (const name of ['location', 'content-location']) {
    const value = reply.getHeader(name);
    if (typeof value !== 'string') continue;
    try {
      const target = new URL(value, base);
      if (target.host === base.host) targets.push(target);
    } catch {
      // Not a URL: nothing to invalidate.
    }
  }
  await Promise.all(targets.map((target) => app.cache.delete(viewKey(target.pathname, target.search.slice(1)))));
}

function connectionNames(value: unknown): Set<string> {
  const names = new Set<string>();
  if (value === undefined) return names;
  for (const name of (Array.isArray(value) ? value.join(',') : String(value)).split(',')) names.add(name.trim().toLowerCase());
  return names;
}
