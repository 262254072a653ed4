// The part of apicache (which ships no types) the Express benchmark uses.
declare module 'apicache' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** apicache's default instance: `middleware('5 minutes')` caches the route's responses in memory. */
  const apicache: { middleware(duration: string): (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void };
  export default apicache;
}
