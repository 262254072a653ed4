/**
 * The mark every Cache carries, under a registry symbol (`Symbol.for`) so that it is the same
 * symbol in every copy of @larder/core loaded into one process (two versions installed side by
 * side, or one bundled and one from node_modules). `instanceof Cache` is true only for the copy
 * that built the object; the brand is what the plugin, the session store and `openCacheSource`
 * check instead. Its value is the version of the Cache contract: a copy with another contract
 * would carry another number and be refused with a clear error rather than misused.
 */
export const CACHE_BRAND: unique symbol = Symbol.for('larder.cache');

/** The Cache contract version this copy implements and accepts (2: read options, peekDecoded and namespaces, for the near cache). */
export const CACHE_BRAND_VERSION = 2;
