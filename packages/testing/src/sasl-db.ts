import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Credentials of a SASL-enabled test memcached. */
export interface SaslCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Makes a temp dir holding a Cyrus SASL `sasldb2` with one user (via `saslpasswd2`) and a
 * `memcached.conf` that enables PLAIN against it; point `SASL_CONF_PATH` at the dir.
 */
export function makeSaslConfig(credentials: SaslCredentials): string {
  const dir = mkdtempSync(join(tmpdir(), 'larder-sasl-'));
  const db = join(dir, 'sasldb2');
  const made = spawnSync('saslpasswd2', ['-a', 'memcached', '-c', '-p', '-f', db, credentials.username], {
    input: credentials.password,
    encoding: 'utf8',
  });
  if (made.error || made.status !== 0) {
    throw new Error(`saslpasswd2 failed (is Debian's sasl2-bin installed?): ${made.error?.message ?? made.stderr}`);
  }
  writeFileSync(join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  return dir;
}
