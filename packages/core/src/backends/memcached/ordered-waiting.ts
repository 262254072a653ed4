import { Op } from './protocol.js';
import type { Call, WaitingRequests } from './waiting-requests.js';

/** One request of a call on the wire. */
interface Slot {
  readonly call: Call;
  readonly index: number;
  readonly quiet: boolean;
}

/** What an answer matched: a request of a call, a batch whose no-op an error line reached, or nothing. */
export type OrderedMatch = { readonly call: Call; readonly index: number; readonly failsBatch: boolean } | undefined;

/**
 * Calls answered in the order their requests were sent (meta protocol): an answer belongs to
 * the request with its opaque, or to the next no-op (`noop`), or, carrying no opaque (error
 * lines, flush_all's OK), to the next request that must answer; quiet requests passed over
 * stayed silent.
 */
export class OrderedWaiting implements WaitingRequests {
  #slots: Slot[] = [];
  #head = 0;
  readonly #quiet: (opcode: number) => boolean;

  /** `quiet` tells the requests the server may leave unanswered. */
  constructor(quiet: (opcode: number) => boolean) {
    this.#quiet = quiet;
  }

  add(call: Call): void {
    for (let index = 0; index < call.specs.length; index++) this.#slots.push({ call, index, quiet: this.#quiet(call.specs[index]!.opcode) });
  }

  /**
   * Removes the request an answer belongs to. An error line (`error`) that reaches a batch's
   * no-op fails the batch (`failsBatch`): the no-op stays waiting for its own answer.
   */
  claim(opaque: number | undefined, noop: boolean, error: boolean): OrderedMatch {
    for (let i = this.#head; i < this.#slots.length; i++) {
      const { call, index, quiet } = this.#slots[i]!;
      const isNoop = call.specs[index]!.opcode === Op.NOOP;
      const matches = noop ? isNoop : opaque !== undefined ? call.firstOpaque + index === opaque : !quiet;
      if (!matches) {
        if (!quiet) return undefined;
        continue;
      }
      const failsBatch = error && isNoop;
      this.#advance(failsBatch ? i : i + 1);
      return { call, index, failsBatch };
    }
    return undefined;
  }

  oldest(): Call | undefined {
    return this.#slots[this.#head]?.call;
  }

  all(): Iterable<Call> {
    return new Set(this.#slots.slice(this.#head).map((slot) => slot.call));
  }

  drain(): Call[] {
    const calls = this.all();
    this.#slots = [];
    this.#head = 0;
    return [...calls];
  }

  #advance(head: number): void {
    this.#head = head;
    if (this.#head === this.#slots.length) {
      this.#slots.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
  }
}
