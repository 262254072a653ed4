import { Backlog } from './backlog.js';
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
  readonly #slots = new Backlog<Slot>();
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
    const slots = this.#slots;
    for (let i = slots.start; i < slots.end; i++) {
      const { call, index, quiet } = slots.at(i);
      const isNoop = call.specs[index]!.opcode === Op.NOOP;
      const matches = noop ? isNoop : opaque !== undefined ? call.firstOpaque + index === opaque : !quiet;
      if (!matches) {
        if (!quiet) return undefined;
        continue;
      }
      const failsBatch = error && isNoop;
      slots.dropBefore(failsBatch ? i : i + 1);
      return { call, index, failsBatch };
    }
    return undefined;
  }

  oldest(): Call | undefined {
    return this.#slots.first()?.call;
  }

  all(): Iterable<Call> {
    return new Set(this.#slots.items().map((slot) => slot.call));
  }

  drain(): Call[] {
    return [...new Set(this.#slots.clear().map((slot) => slot.call))];
  }
}
