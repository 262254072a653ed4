import { readFileSync } from 'node:fs';
import { MemcachedBackend, type MemcachedBackendOptions } from '../backends/memcached/memcached-backend.js';
import { MemoryBackend } from '../backends/memory-backend.js';
import { MEMCACHED_OPTIONS } from '../backends/memcached/memcached-options.js';
import { Cache } from '../cache.js';
import { InvalidOptionError } from '../errors.js';
import { CACHE_OPTION_NAMES, type CacheOptions } from '../options/cache-options.js';
import { checkOptionsObject } from '../options/cache-option-checks.js';
import { OptionNames } from '../option-names.js';

const ENV_OPTIONS = new OptionNames('cacheFromEnv', ['prefix', 'env', 'memcached', ...CACHE_OPTION_NAMES.filter((name) => name !== 'backend')]);
const ENV_MEMCACHED_OPTIONS = new OptionNames('memcached (servers and credentials come from the environment)', MEMCACHED_OPTIONS.filter((name) => name !== 'servers' && name !== 'username' && name !== 'password'));

/** Options of `cacheFromEnv`. */
export interface CacheFromEnvOptions extends Omit<CacheOptions, 'backend'> {
  /** Reads `<PREFIX>_MEMCACHED_SERVERS` / `_USERNAME` / `_PASSWORD` before the plain names. */
  prefix?: string;
  /** The environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra memcached options (timeouts, maxValueSize) used when memcached is chosen. */
  memcached?: Omit<MemcachedBackendOptions, 'servers' | 'username' | 'password'>;
}

/** What `chooseBackendFromEnv` found. */
export interface EnvBackendChoice {
  /** Which variables decided: `MEMCACHIER`, `<PREFIX>`, `MEMCACHED`, or `memory` when none. */
  source: string;
  /** `host:port[:weight]` list, when memcached was chosen. */
  servers?: string;
  /** SASL username, when configured. */
  username?: string;
  /** SASL password, when configured. */
  password?: string;
  /** TLS on (`<SOURCE>_TLS` = 1, true or yes), when configured. */
  tls?: boolean;
  /** Path of a PEM file of CAs to trust (`<SOURCE>_TLS_CA_FILE`), when configured. */
  tlsCaFile?: string;
}

/**
 * Reads the environment: `MEMCACHIER_*` first, then `<PREFIX>_MEMCACHED_*`, then
 * `MEMCACHED_*` (`SERVERS` as `host:port[:weight]`, comma-separated; `USERNAME`; `PASSWORD`).
 * Credentials of the plain `MEMCACHED_*` names also apply to a prefixed server list.
 * `<SOURCE>_TLS` = 1 turns TLS on (`MEMCACHIER_TLS`, `MEMCACHED_TLS`), `<SOURCE>_TLS_CA_FILE`
 * names a PEM file of CAs to trust; a value other than 1/0/true/false/yes/no is an
 * InvalidOptionError naming the variable.
 */
export function chooseBackendFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, prefix?: string): EnvBackendChoice {
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  const tag = prefix ? prefix.toUpperCase().replace(/[^A-Z0-9]+/g, '_') + '_MEMCACHED' : undefined;
  const candidates: Array<[source: string, fallback: string | undefined]> = [
    ['MEMCACHIER', undefined],
    ...(tag ? [[tag, 'MEMCACHED'] as [string, string]] : []),
    ['MEMCACHED', undefined],
  ];
  for (const [source, fallback] of candidates) {
    const servers = read(`${source}_SERVERS`);
    if (!servers) continue;
    const username = read(`${source}_USERNAME`) ?? (fallback ? read(`${fallback}_USERNAME`) : undefined);
    const password = env[`${source}_PASSWORD`] ?? (fallback ? env[`${fallback}_PASSWORD`] : undefined);
    const tlsName = read(`${source}_TLS`) !== undefined || !fallback ? `${source}_TLS` : `${fallback}_TLS`;
    const tls = envFlag(tlsName, read(tlsName));
    const tlsCaFile = read(`${source}_TLS_CA_FILE`) ?? (fallback ? read(`${fallback}_TLS_CA_FILE`) : undefined);
    return {
      source,
      servers,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls !== undefined ? { tls } : {}),
      ...(tlsCaFile !== undefined ? { tlsCaFile } : {}),
    };
  }
  return { source: 'memory' };
}

/** A Cache configured from the environment (see `chooseBackendFromEnv`); says its choice in one log line. */
export function cacheFromEnv(options: CacheFromEnvOptions = {}): Cache {
  checkOptionsObject(options, 'cacheFromEnv');
  ENV_OPTIONS.check(options);
  checkOptionsObject(options.memcached, 'memcached');
  if (options.memcached !== undefined) ENV_MEMCACHED_OPTIONS.check(options.memcached, 'memcached.');
  const { prefix, env, memcached, ...cacheOptions } = options;
  const choice = chooseBackendFromEnv(env ?? process.env, prefix);
  const logger = options.logger ?? console;
  if (choice.servers === undefined) {
    logger.warn('larder: no MEMCACHIER_SERVERS or MEMCACHED_SERVERS set; using the in-memory backend');
    return new Cache({ ...cacheOptions, backend: new MemoryBackend() });
  }
  const credentials = choice.username !== undefined ? { username: choice.username, password: choice.password ?? '' } : {};
  const tls = memcached?.tls ?? envTls(choice);
  const backend = new MemcachedBackend({ ...memcached, servers: choice.servers, ...credentials, ...(tls !== undefined ? { tls } : {}) });
  const over = tls ? ' over TLS' : '';
  logger.warn(`larder: using ${backend.name}${over}${choice.username ? ` as ${choice.username}` : ''} (from ${choice.source}_SERVERS)`);
  return new Cache({ ...cacheOptions, backend });
}

function envFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new InvalidOptionError(name, `must be 1 or 0 (true/false, yes/no), got "${value}"`);
}

/** The `tls` option the environment asks for: a CA file implies TLS; undefined when TLS is not asked for. */
function envTls(choice: EnvBackendChoice): MemcachedBackendOptions['tls'] {
  if (choice.tls === false) return undefined;
  if (choice.tlsCaFile === undefined) return choice.tls ? true : undefined;
  try {
    return { ca: readFileSync(choice.tlsCaFile, 'utf8') };
  } catch (cause) {
    throw new InvalidOptionError(`${choice.source}_TLS_CA_FILE`, `cannot read ${choice.tlsCaFile}: ${(cause as Error).message}`, { cause });
  }
}
