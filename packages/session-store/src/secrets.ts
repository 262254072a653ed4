import { InvalidOptionError } from '@larder/core';

/** A secret that seals sessions: text of at least 32 characters, or at least 32 random bytes. */
export type SessionSecret = string | Uint8Array;

/** The `secret` option: one secret, or several for rotation (the first seals, every one unseals). */
export type SessionSecretOption = SessionSecret | readonly SessionSecret[];

/** The shortest secret accepted: 32 characters of text, or 32 bytes. */
export const MIN_SECRET_LENGTH = 32;

// More secrets than this would only slow down the rejection of a foreign value; rotation needs two or three.
const MAX_SECRETS = 16;

/**
 * The secrets of the `secret` option as bytes (text as UTF-8), first the one that seals; checked
 * at construction. A message names the bad entry (`secret[1]`) and its length, never its value.
 */
export function resolveSecrets(option: unknown): Buffer[] {
  const list: readonly unknown[] = Array.isArray(option) ? option : [option];
  if (list.length === 0) throw new InvalidOptionError('secret', 'must name at least one secret');
  if (list.length > MAX_SECRETS) throw new InvalidOptionError('secret', `takes at most ${MAX_SECRETS} secrets, got ${list.length}`);
  return list.map((secret, i) => toBytes(secret, Array.isArray(option) ? `secret[${i}]` : 'secret'));
}

function toBytes(secret: unknown, name: string): Buffer {
  if (typeof secret === 'string') {
    // Counted in code points, so 32 characters of any script pass.
    const length = [...secret].length;
    if (length < MIN_SECRET_LENGTH) throw new InvalidOptionError(name, `must be at least ${MIN_SECRET_LENGTH} characters long, got ${length}`);
    return Buffer.from(secret, 'utf8');
  }
  if (secret instanceof Uint8Array) {
    if (secret.byteLength < MIN_SECRET_LENGTH) throw new InvalidOptionError(name, `must be at least ${MIN_SECRET_LENGTH} bytes long, got ${secret.byteLength}`);
    // A copy: a caller that zeroes or reuses its buffer afterwards changes nothing here.
    return Buffer.from(secret);
  }
  throw new InvalidOptionError(name, `must be a string or a Buffer, got ${secret === null ? 'null' : typeof secret}`);
}
