export { MemcachedStore } from './memcached-store.js';
export { withExpressSession, type ExpressSessionModule } from './express-session.js';
export {
  DEFAULT_PREFIX,
  DEFAULT_TTL,
  type MemcachedStoreOptions,
  type MemcachedStoreSource,
  type CacheSource,
  type ServersSource,
  type EnvSource,
  type BackendSource,
} from './options.js';
export { SessionStoreError, type SessionStoreErrorCode } from './errors.js';
export { sessionLifetime, type SessionLifetime } from './session-ttl.js';
export { encodeSession, decodeSession, type DecodedSession } from './session-codec.js';
export { MIN_SECRET_LENGTH, type SessionSecret, type SessionSecretOption } from './secrets.js';
export { SEAL_OVERHEAD_BYTES, type UnsealReason } from './seal.js';
export { redactSessionId, VISIBLE_ID_CHARS } from './redact.js';
export type { SessionData, SessionCookieData, StoredSession, SessionCallback, StoreCallback, SessionStoreStats, RejectedSessionEvent } from './types.js';
