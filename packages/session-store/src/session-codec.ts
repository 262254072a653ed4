import { InvalidArgumentError } from '@larder/core';
import { READ_STAMP } from './read-stamp.js';
import { cookieSettings, sessionFingerprint } from './session-fingerprint.js';
import type { SessionData, StoredSession } from './types.js';

/** What a stored value turned out to be: a session, or not one and why. */
export type DecodedSession = { readonly ok: true; readonly session: StoredSession } | { readonly ok: false; readonly reason: string };

/** A session as it is about to be stored: the fingerprint of what a request can change, and its JSON text. */
export interface EncodedSession {
  /** See `sessionFingerprint`: equal to the one taken when the session was read if and only if the request changed nothing. */
  readonly fingerprint: string;
  /** The stored form (see `encodeSession`), made on first call: an unchanged session never needs it. Throws as `encodeSession` does. */
  json(): string;
}

/**
 * The stored form of a session: the JSON text of its enumerable properties, `cookie` first
 * (a Cookie's `toJSON` gives plain data, Dates become ISO strings). Larder stores the text as a
 * string (memcached flag 16, UTF-8 text), which a Python client reads as a `str`, or seals it.
 * Throws an InvalidArgumentError (E_INVALID_ARGUMENT) when the session has no `cookie` object or
 * cannot be written as JSON.
 */
export function encodeSession(session: SessionData): string {
  return encodeSessionParts(session).json();
}

/**
 * `encodeSession` and the session's fingerprint, from one pass over the data: the cookie and the
 * rest are serialized apart (the fingerprint leaves the cookie's moving expiry out) and joined.
 */
export function encodeSessionParts(session: SessionData): EncodedSession {
  if (!isRecord(session)) throw new InvalidArgumentError('a session must be an object');
  // A session with a toJSON of its own is stored as JSON.stringify would store it.
  const data: unknown = typeof session.toJSON === 'function' ? toJsonData(session, '') : session;
  if (!isRecord(data) || !isRecord(data.cookie)) throw new InvalidArgumentError('a session needs a cookie object');
  // The store's read stamp travels with the session in the request, never into the store.
  const { cookie, [READ_STAMP]: _read, ...rest } = data;
  const cookieData: unknown = typeof cookie.toJSON === 'function' ? toJsonData(cookie, 'cookie') : cookie;
  if (!isRecord(cookieData)) throw new InvalidArgumentError('a session needs a cookie object');
  const dataJson = stringify(rest);
  let json: string | undefined;
  return {
    fingerprint: sessionFingerprint(cookieSettings(cookieData), dataJson),
    json: () => (json ??= dataJson === '{}' ? `{"cookie":${stringify(cookieData)}}` : `{"cookie":${stringify(cookieData)},${dataJson.slice(1)}`),
  };
}

/**
 * The fingerprint of a session read back: `session` parsed from the stored `json`. When the text
 * is in the form `encodeSession` writes, the data part is taken from it as it is, without
 * serializing the session again; otherwise (written by something else) it is serialized.
 */
export function storedFingerprint(json: string, session: StoredSession): string {
  const { cookie, ...rest } = session as StoredSession & { cookie: Record<string, unknown> };
  const head = `{"cookie":${JSON.stringify(cookie)}`;
  let dataJson: string;
  if (json.length > head.length + 1 && json.charCodeAt(head.length) === COMMA && json.startsWith(head)) dataJson = `{${json.slice(head.length + 1)}`;
  else if (json.length === head.length + 1 && json.startsWith(head)) dataJson = '{}';
  else dataJson = JSON.stringify(rest);
  return sessionFingerprint(cookieSettings(cookie), dataJson);
}

const COMMA = 0x2c;

function stringify(value: unknown): string {
  let json: unknown;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    // A cycle or a BigInt: JSON.stringify's own TypeError becomes the cause.
    throw new InvalidArgumentError('the session cannot be written as JSON', { cause });
  }
  if (typeof json !== 'string') throw new InvalidArgumentError('the session has no JSON form');
  return json;
}

// As JSON.stringify calls it: on the value, with the property name it is found under.
function toJsonData(value: object, name: string): unknown {
  try {
    return ((value as { toJSON: (this: unknown, key: string) => unknown }).toJSON).call(value, name);
  } catch (cause) {
    throw new InvalidArgumentError('the session cannot be written as JSON', { cause });
  }
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
