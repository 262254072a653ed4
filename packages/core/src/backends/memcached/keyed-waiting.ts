import { Backlog } from './backlog.js';
import type { Call, WaitingRequests } from './waiting-requests.js';

/**
 * Calls waiting for answers matched by opaque alone, in whatever order they come (binary
 * protocol: every answer carries its request's opaque). A call is done at the answer to its
 * last request (a batch's no-op comes after every answer of its quiet requests).
 */
export class KeyedWaiting implements WaitingRequests {
  readonly #calls = new Backlog<Call>();

  add(call: Call): void {
    this.#calls.push(call);
  }

  /**
   * The call with the request of this opaque, removed when that request is its last (a call that
   * timed out stays until then, settled, so its late answers still find it); undefined when none
   * waits (a second answer to a request, or an opaque never sent).
   */
  claim(opaque: number): Call | undefined {
    const calls = this.#calls;
    for (let i = calls.start; i < calls.end; i++) {
      const call = calls.at(i);
      const index = opaque - call.firstOpaque;
      if (index < 0 || index >= call.specs.length) continue;
      if (index === call.specs.length - 1) calls.removeAt(i);
      return call;
    }
    return undefined;
  }

  oldest(): Call | undefined {
    return this.#calls.first();
  }

  all(): Iterable<Call> {
    return this.#calls.items();
  }

  drain(): Call[] {
    return this.#calls.clear();
  }
}
