import { InvalidArgumentError } from '@larder/core';
import type { SessionData, StoredSession } from './types.js';

/** What a stored value turned out to be: a session, or not one and why. */
export type DecodedSession = { readonly ok: true; readonly session: StoredSession } | { readonly ok: false; readonly reason: string };

/**
 * The stored form of a session: the JSON text of its enumerable properties, `cookie` included
 * (a Cookie's `toJSON` gives plain data, Dates become ISO strings). Larder stores the text as a
 * string (memcached flag 16, UTF-8 text), which a Python client reads as a `str`. Throws an
 * InvalidArgumentError (E_INVALID_ARGUMENT) when the session has no `cookie` object or cannot be written as JSON.
 */
export function encodeSession(session: SessionData): string {
  if (!isRecord(session)) throw new InvalidArgumentError('a session must be an object');
  if (!isRecord(session.cookie)) throw new InvalidArgumentError('a session needs a cookie object');
  let json: unknown;
  try {
    json = JSON.stringify(session);
  } catch (cause) {
    // A cycle or a BigInt: JSON.stringify's own TypeError becomes the cause.
    throw new InvalidArgumentError('the session cannot be written as JSON', { cause });
  }
  if (typeof json !== 'string') throw new InvalidArgumentError('the session has no JSON form');
  return json;
}

/**
 * Reads a value found under a session key. A JSON string (or, leniently, an already-decoded
 * object) holding an object with a `cookie` object is a session; anything else (text that is not
 * JSON, a number, bytes, an array, JSON without `cookie`) is not, with a short reason that
 * never quotes the value.
 */
export function decodeSession(value: unknown): DecodedSession {
  let data: unknown = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      return { ok: false, reason: 'text that is not JSON' };
    }
  } else if (!isPlainRecord(value)) {
    return { ok: false, reason: describe(value) };
  }
  if (!isPlainRecord(data)) return { ok: false, reason: `JSON ${describe(data)}` };
  if (!isPlainRecord(data.cookie)) return { ok: false, reason: 'JSON without a cookie object' };
  return { ok: true, session: data as StoredSession };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return 'an object that is not plain data';
  return `a ${typeof value}`;
}
