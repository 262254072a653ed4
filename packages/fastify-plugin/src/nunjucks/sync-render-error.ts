/** A template with a `{% cache %}` tag was rendered synchronously; the tag needs a render callback. */
export class SyncRenderError extends Error {
  /** Stable code, as Larder's other errors carry. */
  readonly code = 'E_SYNC_RENDER';

  constructor() {
    super(
      'The {% cache %} tag reads an asynchronous cache: render with a callback, env.render(name, context, (err, html) => ...), or through @fastify/view',
    );
    this.name = 'SyncRenderError';
  }
}
