import { NotNumericError, PartialResultError, TimeoutError } from '../../errors.js';
import type { Backend, BackendCapabilities, CasItem, ServerGrace, StoredItem } from '../../types/backend.js';
import { checkValueSize } from '../check-value-size.js';
import { CHUNKED_FLAG, chunkKeys, isManifest, joinChunks, readManifest, splitValue, type Manifest } from './chunked-values.js';
import { ChunkedKeys } from './chunked-keys.js';
import { BinaryNode } from './binary-node.js';
import { MetaNode } from './meta-node.js';
import type { ProtocolNode } from './protocol-node.js';
import type { MemcachedBackendOptions } from './memcached-options.js';
import { backendSettings } from './backend-settings.js';
import { capped, check, decoding, expiry, storeStatus, unique } from './call-helpers.js';
import { unacknowledged } from './noreply.js';
import { isPlaceholder, MetaGrace } from './meta-grace.js';
import { onChunks, writeOver } from './node-batches.js';
import { NodePool, type FailoverSettings, type ServerState } from './node-pool.js';
import { NodeDiscovery } from './node-discovery.js';
import { ReplaceablePool } from './replaceable-pool.js';
import { Op, Status, arithExtras, expiryExtras, responseCas, storeExtras, type RequestSpec, type Response } from './protocol.js';
import { formatAddress, type ServerAddress } from './server-list.js';

export type { MemcachedBackendOptions } from './memcached-options.js';

// Keys of at most 250 bytes: the memory this takes stays within a few MB.
const CHUNKED_KEYS_LIMIT = 10_000;

/**
 * A backend on one or more memcached servers over the binary protocol (with SASL PLAIN) or
 * the meta protocol (memcached 1.6+), on TCP, Unix sockets or TLS, with
 * a libmemcached-compatible KETAMA ring, failover of dead nodes, and values larger than
 * memcached's item limit split into checksummed chunks.
 */
export class MemcachedBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** The wire protocol: `binary` (default) or `meta`. */
  readonly protocol: 'binary' | 'meta';
  /** The lock and grace done by memcached (meta protocol only; see MetaGrace). */
  readonly serverGrace: ServerGrace | undefined;
  readonly #pools: ReplaceablePool;
  readonly #discovery: NodeDiscovery | undefined;
  readonly #chunkSize: number;
  readonly #connectTimeout: number;
  readonly #timeout: number;
  readonly #chunked = new ChunkedKeys(CHUNKED_KEYS_LIMIT);
  readonly #noreply: boolean;
  /** Hears of a noreply write refused or failed (see `unacknowledged`). */
  readonly #noreplyFailed: (error: unknown, operation: 'set' | 'delete') => void;

  constructor(options: MemcachedBackendOptions) {
    const settings = backendSettings(options);
    const { addresses, timeout, connectTimeout, tls, protocol, maxValueSize } = settings;
    this.#connectTimeout = connectTimeout;
    this.#timeout = timeout;
    this.#noreply = settings.noreply;
    this.#noreplyFailed = (error, operation) => settings.onNoreplyError?.(error, operation);
    this.#chunkSize = settings.chunkSize;
    this.capabilities = { shared: true, maxValueSize, touch: true, reservedFlags: CHUNKED_FLAG };
    this.protocol = protocol;
    const Node = protocol === 'meta' ? MetaNode : BinaryNode;
    const makeNode = (address: ServerAddress): ProtocolNode =>
      new Node({ host: address.host, port: address.port, tls, username: options.username, password: options.password, timeout, connectTimeout, keepAlive: settings.keepAlive });
    const failover: FailoverSettings = {
      failureLimit: settings.failureLimit,
      deadTimeoutMs: settings.deadTimeoutMs,
      rejoinKeyLimit: settings.rejoinKeyLimit,
      cleanupTimeout: connectTimeout,
      failoverTtl: settings.failoverTtl,
      onNodeChange: settings.onNodeChange,
    };
    this.#pools = new ReplaceablePool(addresses, makeNode, failover, timeout * 2);
    const { discovery } = settings;
    this.name = discovery === undefined ? `memcached(${addresses.map(formatAddress).join(',')})` : `memcached(discovery ${formatAddress(discovery.endpoint)})`;
    this.#discovery = discovery === undefined ? undefined : new NodeDiscovery(discovery, tls, connectTimeout, (config) => this.#pools.useServers(config.servers));
    this.#discovery?.start();
    this.serverGrace = protocol === 'binary' ? undefined : new MetaGrace({
      call: (spec, write) => this.#metaCall(spec, write),
      whole: (key, item) => (isManifest(item) ? this.#assemble(key, item, this.#deadline()) : Promise.resolve(item)),
      expiry: (ttl, maxTtl) => expiry(capped(ttl, maxTtl)),
    });
  }

  /**
   * Checks every node answers and accepts the credentials (a NOOP, which memcached -S refuses
   * unauthenticated); each node may take `connectTimeout`. With `discovery`, first waits for the
   * node list (`connectTimeout` for the configuration endpoint).
   */
  async connect(): Promise<void> {
    // With discovery, the first node list first: an unreachable or malformed endpoint rejects with its typed error.
    await this.#discovery?.ready();
    const ping = (node: ProtocolNode) => this.#pool.call(node, () => node.request({ opcode: Op.NOOP }, this.#connectTimeout));
    await Promise.all(this.#pool.nodes.map((node) => ping(node).then((r) => check(node, r))));
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const deadline = this.#deadline();
    const item = await this.#getRaw(key);
    return item && isManifest(item) ? this.#assemble(key, item, deadline) : item;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const deadline = this.#deadline();
    let found: Map<string, StoredItem>;
    let failure: unknown;
    try {
      found = await this.#getManyRaw(unique(keys), deadline);
    } catch (error) {
      if (!(error instanceof PartialResultError)) throw error;
      found = error.partial as Map<string, StoredItem>;
      failure = error.cause;
    }
    // Manifests are assembled in partial results too; a bad one is left out and reported.
    const chunked: Array<[string, StoredItem]> = [];
    for (const entry of found) if (isManifest(entry[1])) chunked.push(entry);
    if (chunked.length > 0) {
      await Promise.all(
        chunked.map(async ([key, manifestItem]) => {
          try {
            const whole = await this.#assemble(key, manifestItem, deadline);
            if (whole) found.set(key, whole);
            else found.delete(key);
          } catch (error) {
            found.delete(key);
            failure ??= error instanceof PartialResultError ? error.cause : error;
          }
        }),
      );
    }
    if (failure !== undefined) throw new PartialResultError(failure, found);
    return found;
  }

  set(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    const stored = () => this.#store(Op.SET, key, item, ttl, 0n).then((status) => status === Status.OK);
    if (!this.#noreply) return stored();
    checkValueSize(key, item, this.capabilities.maxValueSize);
    return unacknowledged(this.name, 'set', stored, this.#noreplyFailed);
  }

  async setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> {
    for (const [key, item] of entries) checkValueSize(key, item, this.capabilities.maxValueSize);
    const results = await Promise.allSettled(entries.map(([key, item]) => this.set(key, item, ttl)));
    return entries.filter((_, i) => { const r = results[i]!; return r.status === 'rejected' || !r.value; }).map(([key]) => key);
  }

  add(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.ADD, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.REPLACE, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  /** Deletes `key`; when it held a chunked value, its chunks go too (best effort, see #dropChunks). */
  delete(key: string): Promise<boolean> {
    return this.#noreply ? unacknowledged(this.name, 'delete', () => this.#delete(key).then(() => true), this.#noreplyFailed) : this.#delete(key);
  }

  async #delete(key: string): Promise<boolean> {
    const deadline = this.#deadline();
    const node = this.#pool.nodeForWrite(key).node;
    const { old, response } = await writeOver(this.#pool, node, key, { opcode: Op.DELETEQ, key }, (n) => this.#left(n, deadline));
    this.#chunked.delete(key);
    if (response?.header.status === Status.NOT_FOUND) return false;
    if (response) check(node, response);
    await this.#dropChunks(key, old, deadline);
    return true;
  }

  async deleteMany(keys: readonly string[]): Promise<string[]> {
    const list = unique(keys);
    const results = await Promise.all(list.map((key) => this.delete(key)));
    return list.filter((_, i) => results[i]);
  }

  incr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#arith(Op.INCREMENT, key, delta);
  }

  decr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#arith(Op.DECREMENT, key, delta);
  }

  /**
   * Gives `key` a new TTL; for a chunked value, every chunk too (found through the manifest,
   * which a get-and-touch returns). False when the key, or any of its chunks, is gone.
   */
  async touch(key: string, ttl: number): Promise<boolean> {
    const deadline = this.#deadline();
    const response = await this.#request(key, Op.GAT, (maxTtl) => expiryExtras(expiry(capped(ttl, maxTtl))));
    if (response.header.status === Status.NOT_FOUND) return false;
    const item = { value: response.val, flags: response.flags };
    if (!isManifest(item)) return true;
    const manifest = this.#manifestOf(item);
    // A foreign value with the chunk flag has no chunks to extend; its own TTL was set.
    if (!manifest) return true;
    this.#chunked.add(key);
    const statuses = await onChunks(this.#pool, chunkKeys(key, manifest), (chunkKey, maxTtl) => ({ opcode: Op.TOUCH, key: chunkKey, extras: expiryExtras(expiry(capped(ttl, maxTtl))) }), (n) => this.#left(n, deadline));
    return statuses.every((status) => status === Status.OK);
  }

  async gets(key: string): Promise<CasItem | undefined> {
    const deadline = this.#deadline();
    const response = await this.#request(key, Op.GET);
    if (response.header.status === Status.NOT_FOUND) return undefined;
    const raw = this.#plainItem(key, response);
    const item = raw && isManifest(raw) ? await this.#assemble(key, raw, deadline) : raw;
    return item && { ...item, cas: responseCas(response) };
  }

  async cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> {
    const status = await this.#store(Op.SET, key, item, ttl, cas);
    if (status === Status.NOT_FOUND) return undefined;
    return status === Status.OK;
  }

  /**
   * True when the node that owns `key` (a full backend key) is out of the ring now: its reads go to
   * another node, where a miss says nothing of what the owner holds (a session store fails such a
   * read rather than take it as "no session").
   */
  routedAway(key: string): boolean {
    return this.#pool.ownerOutOfRing(key);
  }

  /** Each server and whether it is in service now (for health pages and metrics). */
  serverStates(): ServerState[] {
    return this.#pool.states;
  }

  /** Flushes the live nodes; a node out of the ring is flushed before it rejoins. */
  async flush(): Promise<void> {
    await Promise.all(this.#pool.flushTargets().map((node) => this.#pool.call(node, () => node.request({ opcode: Op.FLUSH })).then((r) => check(node, r))));
  }

  async close(): Promise<void> {
    this.#discovery?.close();
    this.#pools.close();
  }

  /** The pool requests go through now (a discovered node list replaces it). */
  get #pool(): NodePool {
    return this.#pools.current;
  }

  /**
   * One request for `key` on its node; NOT_FOUND is returned, other error statuses throw.
   * `extras` is given the TTL cap of the node the request goes to.
   */
  async #request(key: string, opcode: number, extras?: (maxTtl: number | undefined) => Buffer): Promise<Response> {
    const { node, maxTtl } = opcode === Op.GET ? { node: this.#pool.nodeFor(key), maxTtl: undefined } : this.#pool.nodeForWrite(key);
    const response = await this.#pool.call(node, () => node.request(extras ? { opcode, key, extras: extras(maxTtl) } : { opcode, key }), [key]);
    if (response.header.status !== Status.NOT_FOUND) check(node, response);
    return response;
  }

  async #getRaw(key: string): Promise<StoredItem | undefined> {
    const response = await this.#request(key, Op.GET);
    if (response.header.status === Status.NOT_FOUND) return undefined;
    return this.#plainItem(key, response);
  }

  /**
   * The item of a plain read's answer. On meta a placeholder (a lead's, see MetaGrace) is a miss,
   * and an invalidated item is stale; a plain read handed its refresh token (the first read after
   * `md I` gets it, whoever asks) gives it back at once with `md I C<cas>`, so a getOrSet reads it next.
   */
  #plainItem(key: string, response: Response): StoredItem | undefined {
    const item = { value: response.val, flags: response.flags };
    const marks = response.marks;
    if (marks === undefined) return item;
    if (isPlaceholder(item, marks)) return undefined;
    if (!marks.stale) return item;
    if (marks.win) void this.#metaCall(() => ({ opcode: Op.DELETE, key, meta: `I C${responseCas(response)}` }), true).catch(() => {});
    return { ...item, stale: true };
  }

  /** One meta request routed as a read or a write (NOT_FOUND and EXISTS are answers; see MetaGracePort). */
  async #metaCall(spec: (maxTtl: number | undefined) => RequestSpec, write: boolean): Promise<Response> {
    const probe = spec(undefined);
    const { node, maxTtl } = write ? this.#pool.nodeForWrite(probe.key!) : { node: this.#pool.nodeFor(probe.key!), maxTtl: undefined };
    const response = await this.#pool.call(node, () => node.request(spec(maxTtl)), [probe.key!]);
    const status = response.header.status;
    if (status !== Status.NOT_FOUND && status !== Status.EXISTS) check(node, response);
    return response;
  }

  /**
   * Quiet gets + NOOP, one pipelined batch per node, the nodes in parallel. When some nodes
   * fail, rejects with a PartialResultError carrying what the others returned.
   */
  async #getManyRaw(keys: readonly string[], deadline: number): Promise<Map<string, StoredItem>> {
    const found = new Map<string, StoredItem>();
    const batches = [...this.#pool.groupByNode(keys)].map(([node, nodeKeys]) => {
      const budget = this.#left(node, deadline);
      if (typeof budget !== 'number') return Promise.reject(budget);
      return this.#pool.call(node, () =>
        node.requestQuietBatch(
          nodeKeys.map((key) => ({ opcode: Op.GETKQ, key })),
          (response, index) => {
            if (response.header.status !== Status.OK) return;
            const key = nodeKeys[index]!;
            const item = this.#plainItem(key, response);
            if (item !== undefined) found.set(key, item);
          },
          budget,
        ),
        nodeKeys,
      );
    });
    const failures = (await Promise.allSettled(batches)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) throw new PartialResultError(failures[0]!.reason, found);
    return found;
  }

  /**
   * Reads the chunks a manifest names and joins them; a miss if any was evicted. A manifest
   * or chunks that break the bounds (a foreign value with the chunk flag, corrupt chunks)
   * reject with a DeserializationError before anything large is fetched or allocated.
   */
  async #assemble(key: string, manifestItem: StoredItem, deadline: number): Promise<StoredItem | undefined> {
    const limits = { chunkSize: this.#chunkSize, maxValueSize: this.capabilities.maxValueSize };
    const manifest = decoding(key, manifestItem, () => readManifest(manifestItem, limits));
    this.#chunked.add(key);
    const keys = chunkKeys(key, manifest);
    const chunks = await this.#getManyRaw(keys, deadline);
    const whole = decoding(key, manifestItem, () => joinChunks(manifestItem, manifest, keys.map((chunkKey) => chunks.get(chunkKey))));
    return whole && manifestItem.stale !== undefined ? { value: whole.value, flags: whole.flags, stale: manifestItem.stale } : whole;
  }

  /**
   * Writes `item` under `key`, in chunks when it is longer than one. Whatever it overwrites is
   * read in the same round trip, so the chunks of a chunked value it replaces can be removed;
   * chunks of a write that was refused are removed too.
   */
  async #store(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint): Promise<number> {
    checkValueSize(key, item, this.capabilities.maxValueSize);
    const deadline = this.#deadline();
    let main = item;
    let written: string[] = [];
    if (item.value.length > this.#chunkSize) {
      const split = splitValue(key, item, this.#chunkSize);
      written = split.chunks.map(([chunkKey]) => chunkKey);
      const results = await Promise.allSettled(split.chunks.map(([chunkKey, chunk]) => this.#storeOne(Op.SET, chunkKey, chunk, ttl, 0n, deadline)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure || results.some((r) => r.status === 'fulfilled' && r.value !== Status.OK)) {
        await this.#dropKeys(written, deadline);
        if (failure) throw failure.reason;
        return Status.NOT_STORED;
      }
      main = split.manifest;
    }
    let status: number;
    let old: StoredItem | undefined;
    // add writes only where nothing is, so it replaces no chunks; a small value over a key not
    // known to hold chunks stays one plain request (see ChunkedKeys).
    if (opcode === Op.ADD || (written.length === 0 && !this.#chunked.has(key))) {
      status = await this.#storeOne(opcode, key, main, ttl, cas, deadline);
    } else {
      const { node, spec } = this.#storeSpec(opcode === Op.SET ? Op.SETQ : Op.REPLACEQ, key, main, ttl, cas);
      const over = await writeOver(this.#pool, node, key, spec, (n) => this.#left(n, deadline));
      old = over.old;
      status = over.response ? storeStatus(node, key, main, over.response, this.#chunkSize) : Status.OK;
    }
    if (status !== Status.OK) {
      await this.#dropKeys(written, deadline);
      return status;
    }
    if (written.length > 0) this.#chunked.add(key);
    else this.#chunked.delete(key);
    await this.#dropChunks(key, old, deadline);
    return status;
  }

  async #storeOne(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint, deadline: number): Promise<number> {
    const { node, spec } = this.#storeSpec(opcode, key, item, ttl, cas);
    const budget = this.#left(node, deadline);
    if (typeof budget !== 'number') throw budget;
    const response = await this.#pool.call(node, () => node.request(spec, budget), [key]);
    return storeStatus(node, key, item, response, this.#chunkSize);
  }

  #storeSpec(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint): { node: ProtocolNode; spec: RequestSpec } {
    const { node, maxTtl } = this.#pool.nodeForWrite(key);
    const extras = storeExtras(item.flags, expiry(capped(ttl, maxTtl)));
    return { node, spec: { opcode, key, extras, value: item.value, cas } };
  }

  /** When `old` (a value just overwritten or deleted) was a chunk manifest, deletes its chunks. */
  async #dropChunks(key: string, old: StoredItem | undefined, deadline: number): Promise<void> {
    if (!old || !isManifest(old)) return;
    const manifest = this.#manifestOf(old);
    if (manifest) await this.#dropKeys(chunkKeys(key, manifest), deadline);
  }

  /**
   * Deletes chunk keys, best effort within the call's deadline: the value they belonged to is
   * already gone or was never written, and nothing reads chunks but through their manifest, so
   * a chunk left behind only takes memory until its TTL or memcached's LRU ends it.
   */
  async #dropKeys(keys: readonly string[], deadline: number): Promise<void> {
    if (keys.length === 0) return;
    await onChunks(this.#pool, keys, (chunkKey) => ({ opcode: Op.DELETE, key: chunkKey }), (n) => this.#left(n, deadline)).catch(() => undefined);
  }

  /** The manifest in `item`, undefined when it is not one Larder would have written. */
  #manifestOf(item: StoredItem): Manifest | undefined {
    try {
      return readManifest(item, { chunkSize: this.#chunkSize, maxValueSize: this.capabilities.maxValueSize });
    } catch {
      return undefined;
    }
  }

  async #arith(opcode: number, key: string, delta: bigint): Promise<bigint | undefined> {
    // No TTL to cap: incr and decr never create a key here, and keep the TTL of the one they change.
    const { node } = this.#pool.nodeForWrite(key);
    const response = await this.#pool.call(node, () => node.request({ opcode, key, extras: arithExtras(delta) }), [key]);
    if (response.header.status === Status.NOT_FOUND) return undefined;
    if (response.header.status === Status.NON_NUMERIC) throw new NotNumericError(key);
    check(node, response);
    return response.val.readBigUInt64BE(0);
  }

  /** When a call that may take two round trips (a chunked value) must have settled. */
  #deadline(): number {
    return performance.now() + this.#timeout;
  }

  /**
   * Milliseconds left before `deadline`, for the next round trip to `node`; a TimeoutError
   * (not counted against the node, which was never asked) when nothing is left.
   */
  #left(node: ProtocolNode, deadline: number): number | TimeoutError {
    const left = Math.min(this.#timeout, Math.ceil(deadline - performance.now()));
    return left >= 1 ? left : new TimeoutError(node.address, this.#timeout);
  }
}
