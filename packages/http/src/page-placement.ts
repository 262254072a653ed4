import { randomBytes } from 'node:crypto';
import type { CacheRule } from './cache-rule.js';
import type { HttpAdapter } from './http-adapter.js';
import { HOST_VARIANT, sameNames, varyHeaderNames, varyValues, withHostVariant } from './http-rules.js';
import { HOST_ONLY, type Landing, type MissState } from './miss-state.js';
import type { PendingWrites } from './pending-writes.js';
import { storageTimes } from './stored-freshness.js';
import { encodeResponse, encodeVaryMarker, VaryMarker, type CachedResponse } from './stored-view.js';
import { variantKey } from './view-key.js';

/**
 * Where a response cache stores the page a miss produced, and the hand-off to the requests
 * waiting for it: at the route's key when nothing (or this audience's page) was there and it has
 * no Vary; under a variant of another audience's page at the key; else under its variant, with
 * the Vary list (the audience in it when needed) at the key. Writes go through `PendingWrites`.
 */
export class PagePlacement<Req extends object, Res> {
  readonly #pending: PendingWrites;
  readonly #adapter: HttpAdapter<Req, Res>;
  readonly #ttlOf: (rule: CacheRule<object>) => number;

  constructor(pending: PendingWrites, adapter: HttpAdapter<Req, Res>, ttlOf: (rule: CacheRule<object>) => number) {
    this.#pending = pending;
    this.#adapter = adapter;
    this.#ttlOf = ttlOf;
  }

  /** Hands `entry` to the waiters of `state` and stores it (see the class); the lock goes once it is stored. */
  keep(state: MissState, request: Req, entry: CachedResponse, vary: unknown): void {
    const writes: Array<Promise<void>> = [];
    // Freshness from the response: kept while fresh, then as long as its stale uses last.
    const times = entry.freshness === undefined ? undefined : storageTimes(entry.freshness, Date.now(), this.#ttlOf(state.rule));
    const store = (key: string, value: string) => {
      const write = this.#pending.store(key, value, state.rule, times?.ttl ?? this.#ttlOf(state.rule), state.tagged?.versions, this.#adapter.log(request), times?.grace);
      if (write) writes.push(write);
    };
    let written!: () => void;
    // The lock goes once the page is stored, so a process that takes it next finds the page.
    const stored = new Promise<void>((resolve) => (written = resolve));
    const handOff = (landing: Landing) => state.lead?.settle(landing, stored);
    this.#storeVariants(state, request, entry, vary, handOff, store);
    state.refreshWrites?.push(...writes);
    void Promise.allSettled(writes).then(written);
  }

  /** Waits for the writes under way (before the cache closes). */
  drain(): Promise<void> {
    return this.#pending.drain();
  }

  #storeVariants(state: MissState, request: Req, entry: CachedResponse, vary: unknown, handOff: (landing: Landing) => void, store: (key: string, value: string) => void): void {
    const headers = this.#adapter.headers(request);
    const varied = varyHeaderNames(vary);
    let names = varied === '*' ? [] : varied;
    // Once the audience is in the list it stays there, or audiences would take turns replacing the list.
    if (state.hostVariant || state.marker?.names.includes(HOST_VARIANT)) names = withHostVariant(names);
    const { owner, hostVariant } = state;
    if (names.length === 0) {
      const owned = { ...entry, generation: randomBytes(8).toString('hex') };
      handOff({ entry: owned, stale: false, marker: undefined, values: undefined, owner, hostVariant });
      store(state.key, encodeResponse(owned));
      return;
    }
    if (owner !== undefined && names.length === 1) {
      handOff({ entry, stale: false, marker: undefined, values: undefined, owner, hostVariant });
      store(variantKey(state.key, owner.generation, HOST_ONLY, headers, state.host), encodeResponse(entry));
      return;
    }
    let marker = state.marker;
    const fresh = marker === undefined || !sameNames(marker.names, names);
    if (fresh) marker = new VaryMarker(names, randomBytes(8).toString('hex'));
    handOff({ entry, stale: false, marker, values: JSON.stringify(varyValues(names, headers, state.host)), owner, hostVariant });
    if (fresh) store(state.key, encodeVaryMarker(marker!));
    store(variantKey(state.key, marker!.generation, names, headers, state.host), encodeResponse(entry));
  }
}
