// The `@larder/core/memcached` entry: the memcached backend and what configures it. The root
// entry re-exports the same objects (one class either way).
export { MemcachedBackend, type MemcachedBackendOptions } from './backends/memcached/memcached-backend.js';
export type { NodeStateChange, ServerState } from './backends/memcached/node-pool.js';
export { HashRing, oneAtATime } from './backends/memcached/hash-ring.js';
export { parseServerList, type ServerAddress } from './backends/memcached/server-list.js';
export type { Duration } from './duration.js';
export { TlsError } from './backends/memcached/tls-error.js';
export { ClusterConfigError } from './backends/memcached/cluster-config.js';
export type { MemcachedDiscoveryOptions } from './backends/memcached/discovery-options.js';
export type { MemcachedTlsOptions } from './backends/memcached/tls-options.js';
export { RetryingBackend, type RetryOptions } from './backends/memcached/retrying-backend.js';
export { FallbackBackend, type FallbackBackendOptions } from './backends/memcached/fallback-backend.js';
