import { LarderError } from '@larder/core';

/**
 * The `{% cache %}` tag could not read or write the cache (a cache with `ignoreErrors: false`
 * whose memcached is down). The message is generic because a render error often reaches an
 * HTTP response; the cache's error, which names the server, is the `cause` (loggers such as
 * pino print it; Fastify's error reply does not). The code is the cause's (`E_CONNECTION`...).
 */
export class FragmentCacheError extends LarderError {
  constructor(cause: LarderError) {
    super(cause.code, 'The {% cache %} tag could not use the cache; the cause (logged, not shown) says why', { cause });
  }
}
