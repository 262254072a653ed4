import { isUtf8 } from 'node:buffer';
import type { ResponseCache } from '@larder/http';
import type { ExpressRequestLike, ExpressResponseLike } from './express-types.js';

type WriteArguments = [chunk?: unknown, encoding?: unknown, callback?: unknown];

/**
 * Hands the engine the response a handler sends, by wrapping `res.write` and `res.end` for this
 * one response (a miss): the body is collected as it goes out, up to `maxBytes` (past it nothing
 * is kept and the response is not stored), and given to `engine.finish` when `end` is called,
 * before the headers go when the body was sent in one piece (`res.send`, `res.json`), so the
 * headers the cache adds reach the miss too. Mount `compression()` before the cache (as its own
 * documentation says, at the top of the app): what is collected is then the uncompressed body,
 * compressed after the cache, on hits as on misses.
 */
export function captureBody(engine: ResponseCache<ExpressRequestLike, ExpressResponseLike>, request: ExpressRequestLike, response: ExpressResponseLike, maxBytes: number): void {
  // Express's res.send answers a request whose If-None-Match / If-Modified-Since its response
  // meets (`req.fresh`) with a 304 and no body: on a miss the cache would be handed a 304, which is
  // never stored, so no page would be stored while clients revalidate. A miss sends the whole page,
  // as on Fastify, and later conditional requests get their 304 from the stored page.
  Object.defineProperty(request, 'fresh', { value: false, configurable: true, enumerable: false, writable: true });
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const collect = (chunk: unknown, encoding: unknown) => {
    if (overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    if (bytes === undefined || size + bytes.length > maxBytes) {
      overflow = true;
      chunks.length = 0;
      return;
    }
    size += bytes.length;
    chunks.push(bytes);
  };
  const write = response.write;
  const end = response.end;
  response.write = function larderWrite(this: ExpressResponseLike, ...args: WriteArguments) {
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
    engine.finish(request, response, { status: response.statusCode, headers: response.getHeaders(), body });
    return (end as (...a: WriteArguments) => ExpressResponseLike).apply(this, args);
  } as typeof response.end;
}
