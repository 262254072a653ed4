import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError } from '../../errors.js';
import { OptionNames } from '../../option-names.js';

/** TLS settings of a memcached connection (memcached `-Z`, ElastiCache in-transit encryption): Node's own TLS options. */
export interface MemcachedTlsOptions {
  /** Certificate authorities to trust, PEM (default Node's bundled roots). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate chain, PEM, for servers that verify clients (`ssl_verify_mode`). */
  cert?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Private key of `cert`, PEM. */
  key?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Host name the certificate must carry, and the SNI sent (default the server's host when it is a name). */
  servername?: string;
  /** Refuse a certificate that does not verify (default true; false only for tests). */
  rejectUnauthorized?: boolean;
}

/** The names of MemcachedTlsOptions, checked at run time. */
export const TLS_OPTION_NAMES = new OptionNames('tls', ['ca', 'cert', 'key', 'servername', 'rejectUnauthorized']);

/** Reads the `tls` option: undefined for plain TCP, Node connection options for TLS. */
export function tlsOption(value: boolean | MemcachedTlsOptions | undefined): ConnectionOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') {
    throw new InvalidOptionError('tls', `must be true, false or an object of TLS options (${TLS_OPTION_NAMES.names.join(', ')}), got ${value === null ? 'null' : typeof value}`);
  }
  TLS_OPTION_NAMES.check(value, 'tls.');
  for (const name of ['ca', 'cert', 'key'] as const) {
    const given = value[name];
    if (given === undefined) continue;
    const list = Array.isArray(given) ? given : [given];
    if (!list.every((entry: unknown) => typeof entry === 'string' || Buffer.isBuffer(entry))) {
      throw new InvalidOptionError(`tls.${name}`, 'must be PEM text or a Buffer, or an array of them');
    }
  }
  if ((value.cert === undefined) !== (value.key === undefined)) {
    throw new InvalidOptionError(value.cert === undefined ? 'tls.cert' : 'tls.key', 'a client certificate needs both cert and key');
  }
  if (value.servername !== undefined && (typeof value.servername !== 'string' || value.servername === '')) {
    throw new InvalidOptionError('tls.servername', 'must be a non-empty host name');
  }
  if (value.rejectUnauthorized !== undefined && typeof value.rejectUnauthorized !== 'boolean') {
    throw new InvalidOptionError('tls.rejectUnauthorized', `must be true or false, got ${typeof value.rejectUnauthorized}`);
  }
  const options: ConnectionOptions = {};
  if (value.ca !== undefined) options.ca = value.ca as ConnectionOptions['ca'];
  if (value.cert !== undefined) options.cert = value.cert as ConnectionOptions['cert'];
  if (value.key !== undefined) options.key = value.key as ConnectionOptions['key'];
  if (value.servername !== undefined) options.servername = value.servername;
  if (value.rejectUnauthorized !== undefined) options.rejectUnauthorized = value.rejectUnauthorized;
  return options;
}
