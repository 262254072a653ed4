import { isUtf8 } from 'node:buffer';
import type { ResponseCache } from '@larder/http';
import type { ExpressRequestLike, ExpressResponseLike } from './express-types.js';

type WriteArguments = [chunk?: unknown, encoding?: unknown, callback?: unknown];

/** Bytes all the misses of one app may hold while their bodies are collected, together. */
export interface CaptureBudget {
  /** Bytes held now. */
  used: number;
  /** The most they may hold (past it a body is not collected, so not stored). */
  readonly max: number;
}

/**
 * Hands the engine the response a handler sends, by wrapping `res.write` and `res.end` for this
 * one response (a miss): the body is collected as it goes out, up to `maxBytes` and within the
 * app's `budget` for all bodies being collected at once (past either nothing is kept, the response
 * is not stored and the requests waiting for it are let go), and given to `engine.finish` when `end` is called,
 * before the headers go when the body was sent in one piece (`res.send`, `res.json`), so the
 * headers the cache adds reach the miss too. Mount `compression()` before the cache (as its own
 * documentation says, at the top of the app): what is collected is then the uncompressed body,
 * compressed after the cache, on hits as on misses. A body written in parts (`res.write`, a
 * stream) lets the requests waiting for this miss go at its first part, so a slow client of a long
 * response never holds them; it is still stored when it ends.
 */
export function captureBody(engine: ResponseCache<ExpressRequestLike, ExpressResponseLike>, request: ExpressRequestLike, response: ExpressResponseLike, maxBytes: number, budget: CaptureBudget): void {
  // Express's res.send answers a request whose If-None-Match / If-Modified-Since its response
  // meets (`req.fresh`) with a 304 and no body: on a miss the cache would be handed a 304, which is
  // never stored, so no page would be stored while clients revalidate. A miss sends the whole page,
  // as on Fastify, and later conditional requests get their 304 from the stored page.
  Object.defineProperty(request, 'fresh', { value: false, configurable: true, enumerable: false, writable: true });
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let settled = false;
  const giveBack = () => {
    if (settled) return;
    settled = true;
    budget.used -= size;
    size = 0;
    chunks.length = 0;
  };
  const collect = (chunk: unknown, encoding: unknown) => {
    if (overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    if (bytes === undefined || size + bytes.length > maxBytes || budget.used + bytes.length > budget.max) {
      overflow = true;
      giveBack();
      engine.abandon(request);
      return;
    }
    size += bytes.length;
    budget.used += bytes.length;
    chunks.push(bytes);
  };
  // A response that never ends (the client went away mid-body) gives its bytes back when it closes.
  response.once('close', giveBack);
  const write = response.write;
  const end = response.end;
  response.write = function larderWrite(this: ExpressResponseLike, ...args: WriteArguments) {
    engine.releaseWaiters(request);
    collect(args[0], args[1]);
    return (write as (...a: WriteArguments) => boolean).apply(this, args);
  } as typeof response.write;
  response.end = function larderEnd(this: ExpressResponseLike, ...args: WriteArguments) {
    response.write = write;
    response.end = end;
    collect(args[0], args[1]);
    const bytes = overflow ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    // Text is stored as text (flag 16, one third smaller than base64 and readable by peers).
    const body = bytes === undefined ? undefined : isUtf8(bytes) ? bytes.toString('utf8') : bytes;
    giveBack();
    engine.finish(request, response, { status: response.statusCode, headers: response.getHeaders(), body });
    return (end as (...a: WriteArguments) => ExpressResponseLike).apply(this, args);
  } as typeof response.end;
}
