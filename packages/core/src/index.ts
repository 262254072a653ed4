export { Cache, type CasResult, type WriteCondition } from './cache.js';
export type { CacheOptions } from './options/cache-options.js';
export type { CacheStats } from './store/reporter.js';
export type { CacheEntries } from './options/cache-arguments.js';
export type { DecodedEntry } from './store/read-path.js';
export type { DecodedFlights, FlightSpec } from './recompute/decoded-flights.js';
export type { Entry, Opened, Lead } from './recompute/flight.js';
export type { WriteOptions, WriteOption } from './options/write-options.js';
export type { ReadOptions } from './options/read-options.js';
export type { DeleteOptions } from './store/soft-delete.js';
export type { InvalidateOptions } from './versions/invalidate-options.js';
export type { NearCacheOptions } from './near/near-options.js';
export { CacheNamespace } from './namespace.js';
export { MAX_TAGS, TagVersions, tagReadBackProblem } from './versions/tags.js';
export {
  toRecomputePolicy,
  optionFailure,
  NO_RECOMPUTE,
  type RecomputeOptions,
  type RecomputeTimeouts,
  type LockOptions,
  type RecomputePolicy,
} from './recompute/recompute-options.js';
export { MemoryBackend, type MemoryBackendOptions } from './backends/memory-backend.js';
export { NullBackend } from './backends/null-backend.js';
export { MemcachedBackend, type MemcachedBackendOptions } from './backends/memcached/memcached-backend.js';
export type { NodeStateChange, ServerState } from './backends/memcached/node-pool.js';
export type { ServerAddress } from './backends/memcached/server-list.js';
export { RetryingBackend, type RetryOptions } from './backends/memcached/retrying-backend.js';
export { FallbackBackend, type FallbackBackendOptions } from './backends/memcached/fallback-backend.js';
export { TlsError } from './backends/memcached/tls-error.js';
export { ClusterConfigError } from './backends/memcached/cluster-config.js';
export type { MemcachedDiscoveryOptions } from './backends/memcached/discovery-options.js';
export type { MemcachedTlsOptions } from './backends/memcached/tls-options.js';
export {
  openCacheSource,
  isCache,
  type CacheSource,
  type CacheSourceKind,
  type GivenCacheSource,
  type BackendSource,
  type ServersSource,
  type EnvSource,
  type BuiltCacheOptions,
  type OpenCacheSourceOptions,
  type OpenedCacheSource,
} from './opening/cache-source.js';
export { openAdapterCache, type AdapterCacheOptions } from './opening/adapter-options.js';
export { cacheFromEnv, type CacheFromEnvOptions, type EnvBackendChoice } from './opening/from-env.js';
export { FlagSerializer, type Serializer, type FlagSerializerOptions, type CacheValue } from './values/serializer.js';
export { Flags } from './values/flags.js';
export { toSafeKey } from './keys.js';
export { parseTtl, parseTtlOption, type Ttl } from './ttl.js';
export type { Duration } from './duration.js';
export { FailureLog, type CacheLogger } from './failure-log.js';
export type { CacheEvents, CacheErrorEvent, CacheKeyEvent, CacheStaleEvent, CacheBackendEvent, CacheRecomputeEvent } from './events.js';
export type { Backend, BackendCapabilities, StoredItem, CasItem } from './types/backend.js';
export type { ReadOutcome, WriteOutcome, ConditionalWriteOutcome, RemoveOutcome, ExtendOutcome, HitOutcome, MissOutcome, StaleValue, FailedOutcome } from './types/outcomes.js';
export * from './errors.js';
export { memoize } from './memoize/decorator.js';
export { deleteMemoized, type MemoizeOptions, type Memoized } from './memoize/memoize.js';
export { setDefaultCache, getDefaultCache, clearDefaultCache } from './memoize/default-cache.js';
export type { MemoizeCache } from './memoize/memoize-cache.js';
export type { GetOrSetOptions, GetOrSetOption } from './options/get-or-set-options.js';
export { DecodeMemo, type DecodeMemoBounds } from './values/decode-memo.js';
export { makeTemplateFragmentKey } from './template-fragment-key.js';
