import type { CacheLogger } from '@larder/core';
import type { DecoderBounds } from './stored-view.js';
import type { Injector } from './view-refresh.js';

/** Options of a ResponseCache. */
export interface ResponseCacheOptions {
  /** Bounds of its in-process state. */
  bounds?: ResponseCacheBounds;
  /** Hears of unusable stored values, once per 10 s burst (default: nowhere). */
  logger?: CacheLogger;
  /** Runs a request through the app again, for the background refresh of stale pages (routes with grace). */
  inject?: Injector;
}

/** Bounds of a response cache's in-process state. */
export interface ResponseCacheBounds extends DecoderBounds {
  /** Bytes of responses waiting to be written to the cache at once (default 64 MiB). */
  maxPendingWriteBytes?: number;
}

/** Default of `maxPendingWriteBytes`. */
export const DEFAULT_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
