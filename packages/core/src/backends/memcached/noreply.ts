import { ServerError } from '../../errors.js';
import { Status } from './protocol.js';

/**
 * Runs a noreply call: its requests are queued now (they go out at the end of this turn, in
 * order with the caller's next requests); the caller gets true without waiting for the answer,
 * which is read in the background and given to `failed` when it is a refusal or a failure.
 */
export function unacknowledged(backend: string, operation: 'set' | 'delete', call: () => Promise<boolean>, failed: (error: unknown, operation: 'set' | 'delete') => void): Promise<boolean> {
  call().then(
    (done) => {
      if (!done && operation === 'set') failed(new ServerError(backend, Status.NOT_STORED, 'noreply set not stored'), operation);
    },
    (error: unknown) => failed(error, operation),
  );
  return Promise.resolve(true);
}
