import type { Call, WaitingRequests } from './waiting-requests.js';

/**
 * Calls waiting for answers matched by opaque alone, in whatever order they come (binary
 * protocol: every answer carries its request's opaque). A call is done at the answer to its
 * last request (a batch's no-op comes after every answer of its quiet requests).
 */
export class KeyedWaiting implements WaitingRequests {
  #calls: Call[] = [];
  #head = 0;

  add(call: Call): void {
    this.#calls.push(call);
  }

  /**
   * The call with the request of this opaque, removed when that request is its last; undefined
   * when none waits (a late answer to a call that was given up on).
   */
  claim(opaque: number): Call | undefined {
    for (let i = this.#head; i < this.#calls.length; i++) {
      const call = this.#calls[i]!;
      const index = opaque - call.firstOpaque;
      if (index < 0 || index >= call.specs.length) continue;
      if (index === call.specs.length - 1) this.#remove(i);
      return call;
    }
    return undefined;
  }

  oldest(): Call | undefined {
    return this.#calls[this.#head];
  }

  all(): Iterable<Call> {
    return this.#calls.slice(this.#head);
  }

  drain(): Call[] {
    const calls = this.#calls.slice(this.#head);
    this.#calls = [];
    this.#head = 0;
    return calls;
  }

  #remove(i: number): void {
    if (i !== this.#head) {
      this.#calls.splice(i, 1);
      return;
    }
    this.#head++;
    if (this.#head === this.#calls.length) {
      this.#calls.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#calls = this.#calls.slice(this.#head);
      this.#head = 0;
    }
  }
}
