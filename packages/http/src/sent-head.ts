import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

// Middlewares may add headers inside `writeHead`, after the handler and after an adapter has seen
// the response: express-session, cookie-session and everything built on `on-headers` set their
// Set-Cookie there, and compression its Content-Encoding. What is on the wire is known only once
// Node's own writeHead has run. This file watches for that moment on a Node ServerResponse.

/** A response's status and headers as they went on the wire. */
export interface SentHead {
  /** The status sent. */
  readonly status: number;
  /** A header sent (lower-case name), or undefined. */
  header(name: string): unknown;
}

/**
 * Calls `listener` once the status and headers of `raw` are final: at once when they were sent
 * already, else right after its `writeHead` has run, so after every hook any middleware hung on
 * it (`on-headers`) has run, whoever wrapped it first. `undefined` when writeHead threw (nothing
 * was sent).
 *
 * `retract`: headers the cache set (name to value) that must not go out on a response a
 * middleware gives a `Set-Cookie` inside writeHead (a `public` Cache-Control would let a CDN
 * share a page that sets one visitor's cookie): each is removed, if it still holds that value,
 * the moment the cookie is set.
 */
export function whenHeadSent(raw: ServerResponse, retract: Readonly<Record<string, string>>, listener: (head: SentHead | undefined) => void): void {
  if (raw.headersSent) return listener(headOf(raw, undefined));
  const writeHead = raw.writeHead;
  let called = false;
  const larderWriteHead = function (this: ServerResponse, ...args: unknown[]) {
    // Put back when nobody wrapped it after this one; else stay in their chain, passing through.
    if (raw.writeHead === larderWriteHead) raw.writeHead = writeHead;
    if (called) return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    called = true;
    const original = typeof args[1] === 'string' ? args[2] : args[1];
    const given = givenHeaders(original);
    if (given !== undefined && hasCookie(given)) {
      retractFrom(raw, original, retract);
      for (const name of Object.keys(retract)) if (given[name] === retract[name]) delete given[name];
    }
    const unwatch = watchCookies(raw, original, retract);
    const unguard = guardStoredHeaders(raw, retract);
    let sent = false;
    try {
      const result = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      sent = true;
      return result;
    } finally {
      unwatch();
      unguard();
      listener(sent && raw.headersSent ? headOf(raw, given) : undefined);
    }
  } as ServerResponse['writeHead'];
  raw.writeHead = larderWriteHead;
}

/** The headers passed to `writeHead(status[, reason][, headers])` as an object, lower-case names; undefined when none. */
function givenHeaders(headers: unknown): Record<string, unknown> | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  if (Array.isArray(headers)) {
    // Node's flat form: [name, value, name, value, ...].
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i]).toLowerCase()] = headers[i + 1];
    return out;
  }
  for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function hasCookie(headers: Readonly<Record<string, unknown>>): boolean {
  return headers['set-cookie'] !== undefined;
}

/** While `raw`'s writeHead runs, a Set-Cookie set through its setHeader or appendHeader retracts the cache's headers. */
function watchCookies(raw: ServerResponse, original: unknown, retract: Readonly<Record<string, string>>): () => void {
  if (Object.keys(retract).length === 0) return () => {};
  const ownSet = Object.prototype.hasOwnProperty.call(raw, 'setHeader') ? raw.setHeader : undefined;
  const ownAppend = Object.prototype.hasOwnProperty.call(raw, 'appendHeader') ? raw.appendHeader : undefined;
  const setHeader = raw.setHeader;
  const appendHeader = raw.appendHeader;
  const watchedSet = function (this: ServerResponse, name: string, value: number | string | readonly string[]) {
    const result = setHeader.call(this, name, value);
    if (name.toLowerCase() === 'set-cookie') retractFrom(raw, original, retract);
    return result;
  } as ServerResponse['setHeader'];
  const watchedAppend = function (this: ServerResponse, name: string, value: string | readonly string[]) {
    const result = appendHeader.call(this, name, value);
    if (name.toLowerCase() === 'set-cookie') retractFrom(raw, original, retract);
    return result;
  } as ServerResponse['appendHeader'];
  raw.setHeader = watchedSet;
  raw.appendHeader = watchedAppend;
  return () => {
    if (raw.setHeader === watchedSet) restore(raw, 'setHeader', ownSet);
    if (raw.appendHeader === watchedAppend) restore(raw, 'appendHeader', ownAppend);
  };
}

/**
 * The last word, on HTTP/1: Node's writeHead hands the final headers to the response's
 * `_storeHeader` (an internal method, stable since Node 0.x) just before they are serialised, after
 * every way of setting one (a library calling `OutgoingMessage.prototype.setHeader` on the
 * response directly, as the cookies package under cookie-session does, passes by the watchers
 * above). A Set-Cookie there retracts the cache's headers from what is about to be written.
 */
function guardStoredHeaders(raw: ServerResponse, retract: Readonly<Record<string, string>>): () => void {
  const target = raw as unknown as Record<string, unknown>;
  const store = target._storeHeader;
  if (typeof store !== 'function' || Object.keys(retract).length === 0) return () => {};
  const own = Object.prototype.hasOwnProperty.call(raw, '_storeHeader') ? store : undefined;
  const guarded = function (this: ServerResponse, firstLine: string, headers: unknown) {
    if (headersHold(headers, 'set-cookie')) for (const [name, value] of Object.entries(retract)) dropHeader(headers, name, value);
    return (store as (line: string, headers: unknown) => unknown).call(this, firstLine, headers);
  };
  target._storeHeader = guarded;
  return () => {
    if (target._storeHeader === guarded) restore(raw, '_storeHeader', own);
  };
}

/** True when headers in any form Node passes to _storeHeader (an object of values or of [name, value], a flat or paired array) name `name`. */
function headersHold(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) return headers.some((pair) => String((pair as unknown[])[0]).toLowerCase() === name);
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return true;
    return false;
  }
  if (headers === null || typeof headers !== 'object') return false;
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** Removes header `name` from headers in any of those forms, where it holds exactly `value`. */
function dropHeader(headers: unknown, name: string, value: string): void {
  const holds = (key: unknown, held: unknown) => String(key).toLowerCase() === name && (held === value || (Array.isArray(held) && held.length === 2 && held[1] === value));
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (let i = headers.length - 1; i >= 0; i--) if (holds((headers[i] as unknown[])[0], (headers[i] as unknown[])[1])) headers.splice(i, 1);
      return;
    }
    for (let i = headers.length - 2; i >= 0; i -= 2) if (holds(headers[i], headers[i + 1])) headers.splice(i, 2);
    return;
  }
  if (headers === null || typeof headers !== 'object') return;
  const record = headers as Record<string, unknown>;
  for (const key of Object.keys(record)) if (holds(key, record[key])) delete record[key];
}

function restore(raw: ServerResponse, name: 'setHeader' | 'appendHeader' | '_storeHeader', own: unknown): void {
  if (own === undefined) delete (raw as unknown as Record<string, unknown>)[name];
  else (raw as unknown as Record<string, unknown>)[name] = own;
}

/** Removes each retracted header that still holds the cache's value, from the headers given to writeHead (an object) and from `raw`. */
function retractFrom(raw: ServerResponse, original: unknown, retract: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(retract)) {
    if (original !== null && typeof original === 'object' && !Array.isArray(original)) {
      const given = original as Record<string, unknown>;
      for (const key of Object.keys(given)) if (key.toLowerCase() === name && given[key] === value) delete given[key];
    }
    if (!raw.headersSent && raw.getHeader(name) === value) raw.removeHeader(name);
  }
}

function headOf(raw: ServerResponse, given: Readonly<Record<string, unknown>> | undefined): SentHead {
  return {
    status: raw.statusCode,
    header: (name) => raw.getHeader(name) ?? given?.[name] ?? serialisedHeader(raw, name),
  };
}

/**
 * A header as Node wrote it (HTTP/1's serialised head, `_header`), for headers that went on the
 * wire without passing through the response's header map (given to writeHead as an object while
 * the map was empty): the values of every line of that name, or undefined.
 */
function serialisedHeader(raw: ServerResponse, name: string): string[] | undefined {
  const head = (raw as unknown as { _header?: unknown })._header;
  if (typeof head !== 'string') return undefined;
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) values.push(line.slice(colon + 1).trim());
  }
  return values.length === 0 ? undefined : values;
}
