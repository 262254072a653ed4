import { LarderError } from '@larder/core';

/** A template with a `{% cache %}` tag was rendered synchronously; the tag needs a render callback. */
export class SyncRenderError extends LarderError {
  declare readonly code: 'E_SYNC_RENDER';

  constructor() {
    super(
      'E_SYNC_RENDER',
      'The {% cache %} tag reads an asynchronous cache: render with a callback, env.render(name, context, (err, html) => ...), or through a view engine that passes one (@fastify/view, Express res.render)',
    );
  }
}
