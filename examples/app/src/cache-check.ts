// Shared by both example shops: examples/express-app imports this file too (the same check, one home).
// The start-up check of the example's cache, so that a wrong setting is one plain line instead of
// a stack trace or a shop that fails on its first request. What it decides:
//  - MEMCACHED_SERVERS (or MEMCACHIER_/EXAMPLE_MEMCACHED_SERVERS) that cannot be parsed, a
//    username without a password, credentials memcached rejects, and a SASL-only server given
//    no username are configuration errors: one line, exit 1 (they do not fix themselves);
//  - memcached unreachable (refused, timed out) is a warning and the shop starts anyway: a cache
//    is an optimisation, the cache reads as misses until memcached is back (then it is used
//    again without a restart), and log-in answers the store-down page meanwhile. That is what
//    a user starting the app before memcached (docker compose, a reboot) expects.
import { AuthError, type Cache, LarderError } from '@larder/core';
import { parseServerList } from '@larder/core/memcached';

/** The environment variables the example's cache reads first to last (cacheFromEnv with prefix 'example'). */
const SOURCES: Array<[source: string, fallback: string | undefined]> = [
  ['MEMCACHIER', undefined],
  ['EXAMPLE_MEMCACHED', 'MEMCACHED'],
  ['MEMCACHED', undefined],
];

/** Which variables configure memcached here, or undefined for the in-memory backend. */
function memcachedSettings(env: NodeJS.ProcessEnv): { source: string; servers: string; username: string | undefined; password: string | undefined; userVariable: string } | undefined {
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  for (const [source, fallback] of SOURCES) {
    const servers = read(`${source}_SERVERS`);
    if (!servers) continue;
    const own = read(`${source}_USERNAME`);
    const username = own ?? (fallback ? read(`${fallback}_USERNAME`) : undefined);
    const userVariable = own !== undefined || !fallback ? `${source}_USERNAME` : `${fallback}_USERNAME`;
    const password = env[`${source}_PASSWORD`] ?? (fallback ? env[`${fallback}_PASSWORD`] : undefined);
    return { source, servers, username, password, userVariable };
  }
  return undefined;
}

/** A configuration error in the cache's variables, in one line, checked before anything starts; undefined when none. */
export function cacheSettingsProblem(env: NodeJS.ProcessEnv): string | undefined {
  const settings = memcachedSettings(env);
  if (!settings) return undefined;
  const { source, servers, username, password, userVariable } = settings;
  try {
    parseServerList(servers);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^Invalid option "servers": /, '') : String(error);
    return `${source}_SERVERS="${servers}" cannot be parsed: ${detail}; write host:port entries separated by commas, e.g. 127.0.0.1:11211`;
  }
  // An empty MEMCACHED_PASSWORD= is no password too: SASL would only send it to be refused.
  if (username !== undefined && (password === undefined || password === '')) {
    return `${userVariable} is set (${username}) but ${userVariable.replace(/_USERNAME$/, '_PASSWORD')} is not: SASL needs both, or set neither`;
  }
  return undefined;
}

/** What the start says after `cache.connect()`: a line to exit with, a line to warn with, or nothing when memcached answered. */
export async function checkCacheConnection(cache: Cache, env: NodeJS.ProcessEnv): Promise<{ exit: string } | { warn: string } | undefined> {
  const settings = memcachedSettings(env);
  if (!settings) return undefined;
  try {
    await cache.connect();
    return undefined;
  } catch (error) {
    if (error instanceof AuthError) {
      if (settings.username === undefined) return { exit: `memcached ${error.server} requires SASL and ${settings.userVariable} is not set: set it and its _PASSWORD` };
      return { exit: `memcached ${error.server} rejected the SASL credentials of "${settings.username}": check ${settings.userVariable} and its _PASSWORD` };
    }
    const why = error instanceof LarderError ? error.message : `memcached: ${error instanceof Error ? error.message : String(error)}`;
    return { warn: `example: memcached is unreachable (${why}); starting anyway: the cache misses and log-in answers 503 until it is back` };
  }
}
