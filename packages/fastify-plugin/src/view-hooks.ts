import type { CacheRule, ResponseCache } from '@larder/http';
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';

/** The hooks that cache one route's responses. */
export interface ViewCacheHooks {
  preHandler: preHandlerHookHandler;
  onSend: onSendHookHandler;
}

/**
 * The route's last preHandler asks the engine (a hit is replied there and the handler skipped);
 * its last onSend hands the engine the response about to be sent. Both are callback hooks: the
 * common case, a fresh hit this process answers at once (memory, near cache), runs no promise, and
 * replying from a callback hook is sending without calling `done`.
 */
export function viewCacheHooks(engine: ResponseCache<FastifyRequest, FastifyReply>, rule: CacheRule<FastifyRequest>): ViewCacheHooks {
  const preHandler: preHandlerHookHandler = function larderViewLookup(request, reply, done) {
    const answer = engine.begin(rule, request, reply);
    if (answer === true) return;
    if (answer === false) return done();
    answer.then((replied) => {
      if (!replied) done();
    }, done);
  };
  // onSend runs on every request of the route, hits too: a request the engine did not mark costs one lookup.
  const onSend: onSendHookHandler = function larderViewStore(request, reply, payload, done) {
    if (engine.pending(request)) {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : undefined;
      engine.finish(request, reply, { status: reply.statusCode, headers: reply.getHeaders(), body });
    }
    done(null, payload);
  };
  return { preHandler, onSend };
}
