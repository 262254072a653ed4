import type { LarderError } from '../../errors.js';
import type { RequestSpec, Response } from './protocol.js';

/** One call's requests (a batch ends with a no-op): sent together, settled together, by their answer, a failure or their deadline. */
export interface Call {
  readonly specs: readonly RequestSpec[];
  /** The opaque of the first request; each next request has the next one. */
  readonly firstOpaque: number;
  readonly budget: number;
  settled: boolean;
  /** When the requests went out (performance.now()). */
  sentAt: number;
  /** By when they must be answered. */
  deadline: number;
  /** Hands over the answer to `specs[index]`. */
  readonly answer: (index: number, response: Response) => void;
  readonly fail: (error: LarderError) => void;
}

/** The calls of one connection still waiting for answers, as a wire protocol matches them. */
export interface WaitingRequests {
  /** Adds a call as it goes out. */
  add(call: Call): void;
  /** The one waiting longest, if any. */
  oldest(): Call | undefined;
  /** Every one waiting, oldest first. */
  all(): Iterable<Call>;
  /** Removes and returns every one waiting (the connection is gone). */
  drain(): Call[];
}
