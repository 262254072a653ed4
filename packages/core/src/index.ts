export { Cache, type CacheOptions, type CacheStats, type CasResult, type WriteCondition } from './cache.js';
export type { CacheEntries } from './cache-arguments.js';
export type { DecodedEntry } from './read-path.js';
export type { WriteOptions, WriteOption } from './write-options.js';
export type { ReadOptions } from './read-options.js';
export type { NearCacheOptions } from './near/near-options.js';
export { CacheNamespace } from './namespace.js';
export { STAMP_ENVELOPE_VERSION } from './versions/stamp-envelope.js';
export { MAX_TAGS, TagVersions } from './versions/tags.js';
export {
  toRecomputePolicy,
  optionFailure,
  isRecomputeOption,
  NO_RECOMPUTE,
  type RecomputeOptions,
  type RecomputeTimeouts,
  type LockOptions,
  type RecomputePolicy,
  type OptionFailure,
} from './recompute/recompute-options.js';
export { lockKey, type LockAttempt } from './recompute/stampede-lock.js';
export { awaitLock, type LockWait } from './recompute/lock-wait.js';
export { refreshLockMs, MAX_BACKGROUND_REFRESHES, type StaleReason } from './recompute/recompute.js';
export { GRACE_ENVELOPE_VERSION } from './recompute/grace-envelope.js';
export { MemoryBackend, type MemoryBackendOptions } from './backends/memory-backend.js';
export { NullBackend } from './backends/null-backend.js';
export { MemcachedBackend, type MemcachedBackendOptions } from './backends/memcached/memcached-backend.js';
export type { NodeStateChange, ServerState } from './backends/memcached/node-pool.js';
export { HashRing, oneAtATime } from './backends/memcached/hash-ring.js';
export { parseServerList, type ServerAddress } from './backends/memcached/server-list.js';
export { RetryingBackend, type RetryOptions } from './backends/memcached/retrying-backend.js';
export { FallbackBackend, type FallbackBackendOptions } from './backends/memcached/fallback-backend.js';
export { TlsError } from './backends/memcached/tls-error.js';
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
} from './cache-source.js';
export { openAdapterCache, type AdapterCacheOptions } from './adapter-options.js';
export { cacheFromEnv, chooseBackendFromEnv, type CacheFromEnvOptions, type EnvBackendChoice } from './from-env.js';
export { FlagSerializer, type Serializer, type FlagSerializerOptions, type CacheValue } from './serializer.js';
export { Flags } from './flags.js';
export { toSafeKey, isSafeKey, MEMCACHED_MAX_KEY_LENGTH } from './keys.js';
export { RESERVED_KEY_PREFIXES } from './reserved-keys.js';
export { parseTtl, parseTtlOption, toMemcachedExpiry, MEMCACHED_RELATIVE_TTL_LIMIT, type Ttl } from './ttl.js';
export type { Duration } from './duration.js';
export { FailureLog, type CacheLogger } from './failure-log.js';
export type { CacheEvents, CacheErrorEvent, CacheKeyEvent, CacheStaleEvent, CacheBackendEvent, CacheRecomputeEvent } from './events.js';
export type { Backend, BackendCapabilities, StoredItem, CasItem } from './types/backend.js';
export type { ReadOutcome, WriteOutcome, ConditionalWriteOutcome, RemoveOutcome, ExtendOutcome, HitOutcome, MissOutcome, StaleValue, FailedOutcome } from './types/outcomes.js';
export * from './errors.js';
export { memoize } from './memoize/decorator.js';
export { deleteMemoized, memoizedIdentity, type MemoizeOptions, type Memoized } from './memoize/memoize.js';
export { setDefaultCache, getDefaultCache, clearDefaultCache } from './memoize/default-cache.js';
export type { MemoizeCache } from './memoize/memoize-cache.js';
export type { GetOrSetOptions, GetOrSetOption } from './get-or-set-options.js';
export { DecodeMemo, NOT_REMEMBERED, type DecodeMemoBounds } from './decode-memo.js';
export { hashArguments } from './memoize/argument-hash.js';
export { makeTemplateFragmentKey, TEMPLATE_FRAGMENT_PREFIX } from './template-fragment-key.js';
