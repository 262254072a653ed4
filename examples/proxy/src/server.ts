import { buildProxy } from './proxy.js';

// PORT (default 8001) on 127.0.0.1, forwarding to UPSTREAM (default http://127.0.0.1:8000);
// MEMCACHED_SERVERS (host:port) caches on memcached instead of in memory; LOG=1 logs requests.
const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:8000';
const servers = process.env.MEMCACHED_SERVERS;
const app = await buildProxy({ upstream, logger: process.env.LOG === '1', ...(servers ? { cache: { servers } } : {}) });
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8001) });
console.log(`larder proxy on ${address} -> ${upstream} (${servers ? `memcached ${servers}` : 'memory'})`);
