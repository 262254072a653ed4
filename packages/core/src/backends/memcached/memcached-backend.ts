import { constants as bufferConstants } from 'node:buffer';
import { DeserializationError, InvalidOptionError, NotNumericError, PartialResultError, ServerError, TimeoutError, ValueTooLargeError } from '../../errors.js';
import { parseDurationOption } from '../../duration.js';
import { toMemcachedExpiry } from '../../ttl.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../../types/backend.js';
import { checkValueSize } from '../check-value-size.js';
import { CHUNKED_FLAG, chunkKeys, isManifest, joinChunks, readManifest, splitValue, type Manifest } from './chunked-values.js';
import { ChunkedKeys } from './chunked-keys.js';
import { MemcachedNode } from './memcached-node.js';
import { MetaNode } from './meta-node.js';
import type { ProtocolNode } from './protocol-node.js';
import { count, failoverTtlOption, MEMCACHED_OPTION_NAMES, protocolOption, type MemcachedBackendOptions } from './memcached-options.js';
import { NodePool, type ServerState } from './node-pool.js';
import { Op, Status, arithExtras, expiryExtras, responseCas, responseFlags, storeExtras, type RequestSpec, type Response } from './protocol.js';
import { formatAddress, parseServerList } from './server-list.js';
import { tlsOption } from './tls-options.js';

export type { MemcachedBackendOptions } from './memcached-options.js';

const MAX_EXPIRY = 0xfffffffe;
// Smaller chunks would turn one value into tens of thousands of items and round trips.
const MIN_CHUNK_SIZE = 1024;
// Keys of at most 250 bytes: the memory this takes stays within a few MB.
const CHUNKED_KEYS_LIMIT = 10_000;

/**
 * A backend on one or more memcached servers over the binary protocol (memjs framing, SASL) or
 * the meta protocol (memcached 1.6+), on TCP, Unix sockets or TLS, with
 * a libmemcached-compatible KETAMA ring, failover of dead nodes, and values larger than
 * memcached's item limit split into checksummed chunks.
 */
export class MemcachedBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** The wire protocol: `binary` (default) or `meta`. */
  readonly protocol: 'binary' | 'meta';
  readonly #pool: NodePool;
  readonly #chunkSize: number;
  readonly #connectTimeout: number;
  readonly #timeout: number;
  readonly #chunked = new ChunkedKeys(CHUNKED_KEYS_LIMIT);
  readonly #noreply: boolean;
  readonly #onNoreplyError: ((error: unknown, operation: 'set' | 'delete') => void) | undefined;

  constructor(options: MemcachedBackendOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'MemcachedBackend needs an options object with "servers"');
    }
    MEMCACHED_OPTION_NAMES.check(options);
    const addresses = parseServerList(options.servers);
    const timeout = parseDurationOption('timeout', options.timeout ?? 500, 'ms');
    const connectTimeout = parseDurationOption('connectTimeout', options.connectTimeout ?? 2000, 'ms');
    this.#connectTimeout = connectTimeout;
    this.#timeout = timeout;
    if ((options.username === undefined) !== (options.password === undefined)) {
      throw new InvalidOptionError(options.username === undefined ? 'username' : 'password', 'SASL needs both username and password');
    }
    for (const option of ['username', 'password'] as const) {
      if (options[option] !== undefined && typeof options[option] !== 'string') throw new InvalidOptionError(option, `must be a string, got ${typeof options[option]}`);
    }
    if (options.keepAlive !== undefined && typeof options.keepAlive !== 'boolean') {
      throw new InvalidOptionError('keepAlive', `must be true or false, got ${typeof options.keepAlive}`);
    }
    if (options.onNodeChange !== undefined && typeof options.onNodeChange !== 'function') {
      throw new InvalidOptionError('onNodeChange', `must be a function, got ${options.onNodeChange === null ? 'null' : typeof options.onNodeChange}`);
    }
    if (options.noreply !== undefined && typeof options.noreply !== 'boolean') {
      throw new InvalidOptionError('noreply', `must be true or false, got ${typeof options.noreply}`);
    }
    if (options.onNoreplyError !== undefined && typeof options.onNoreplyError !== 'function') {
      throw new InvalidOptionError('onNoreplyError', `must be a function, got ${options.onNoreplyError === null ? 'null' : typeof options.onNoreplyError}`);
    }
    this.#noreply = options.noreply ?? false;
    this.#onNoreplyError = options.onNoreplyError;
    this.#chunkSize = count('chunkSize', options.chunkSize ?? 1_000_000, MIN_CHUNK_SIZE);
    const maxValueSize = count('maxValueSize', options.maxValueSize ?? 32 * 1024 * 1024, 1);
    if (maxValueSize > bufferConstants.MAX_LENGTH) {
      throw new InvalidOptionError('maxValueSize', `must be at most ${bufferConstants.MAX_LENGTH} bytes (the largest Buffer), got ${maxValueSize}`);
    }
    this.capabilities = { shared: true, maxValueSize, touch: true, reservedFlags: CHUNKED_FLAG };
    const tls = tlsOption(options.tls);
    const protocol = protocolOption(options);
    this.protocol = protocol;
    const Node = protocol === 'meta' ? MetaNode : MemcachedNode;
    const nodes = addresses.map((address) => ({
      address,
      node: new Node({
        host: address.host,
        port: address.port,
        tls,
        username: options.username,
        password: options.password,
        timeout,
        connectTimeout,
        keepAlive: options.keepAlive ?? true,
      }),
    }));
    this.#pool = new NodePool(nodes, {
      failureLimit: count('failureLimit', options.failureLimit ?? 2, 1),
      deadTimeoutMs: parseDurationOption('deadTimeout', options.deadTimeout ?? 2, 's'),
      rejoinKeyLimit: count('rejoinKeyLimit', options.rejoinKeyLimit ?? 10_000, 0),
      cleanupTimeout: connectTimeout,
      failoverTtl: failoverTtlOption(options.failoverTtl ?? 300),
      onNodeChange: options.onNodeChange,
    });
    this.name = `memcached(${addresses.map(formatAddress).join(',')})`;
  }

  /**
   * Checks every node answers and accepts the credentials (a NOOP, which memcached -S refuses
   * unauthenticated); each node may take `connectTimeout`.
   */
  async connect(): Promise<void> {
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
    const chunked = [...found].filter(([, item]) => isManifest(item));
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
    if (failure !== undefined) throw new PartialResultError(failure, found);
    return found;
  }

  set(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    const stored = () => this.#store(Op.SET, key, item, ttl, 0n).then((status) => status === Status.OK);
    if (!this.#noreply) return stored();
    checkValueSize(key, item, this.capabilities.maxValueSize);
    return this.#unacknowledged('set', stored);
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
    return this.#noreply ? this.#unacknowledged('delete', () => this.#delete(key).then(() => true)) : this.#delete(key);
  }

  /**
   * Runs a noreply call: its requests are queued now (they go out at the end of this turn, in
   * order with the caller's next requests); the caller gets true without waiting for the answer,
   * which is read in the background and reported when it is a refusal or a failure.
   */
  #unacknowledged(operation: 'set' | 'delete', call: () => Promise<boolean>): Promise<boolean> {
    call().then(
      (done) => {
        if (!done && operation === 'set') this.#onNoreplyError?.(new ServerError(this.name, Status.NOT_STORED, 'noreply set not stored'), operation);
      },
      (error: unknown) => this.#onNoreplyError?.(error, operation),
    );
    return Promise.resolve(true);
  }

  async #delete(key: string): Promise<boolean> {
    const deadline = this.#deadline();
    const node = this.#pool.nodeForWrite(key).node;
    const { old, response } = await this.#writeOver(node, key, { opcode: Op.DELETEQ, key }, deadline);
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
    const item = { value: response.val, flags: responseFlags(response) };
    if (!isManifest(item)) return true;
    const manifest = this.#manifestOf(item);
    // A foreign value with the chunk flag has no chunks to extend; its own TTL was set.
    if (!manifest) return true;
    this.#chunked.add(key);
    const statuses = await this.#onChunks(chunkKeys(key, manifest), (chunkKey, maxTtl) => ({ opcode: Op.TOUCH, key: chunkKey, extras: expiryExtras(expiry(capped(ttl, maxTtl))) }), deadline);
    return statuses.every((status) => status === Status.OK);
  }

  async gets(key: string): Promise<CasItem | undefined> {
    const deadline = this.#deadline();
    const response = await this.#request(key, Op.GET);
    if (response.header.status === Status.NOT_FOUND) return undefined;
    const raw = { value: response.val, flags: responseFlags(response) };
    const item = isManifest(raw) ? await this.#assemble(key, raw, deadline) : raw;
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
    this.#pool.close();
    for (const node of this.#pool.nodes) node.close();
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
    return { value: response.val, flags: responseFlags(response) };
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
          (response) => {
            if (response.header.status === Status.OK) {
              found.set(response.key.toString('utf8'), { value: response.val, flags: responseFlags(response) });
            }
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
    return decoding(key, manifestItem, () => joinChunks(manifestItem, manifest, keys.map((chunkKey) => chunks.get(chunkKey))));
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
      const over = await this.#writeOver(node, key, spec, deadline);
      old = over.old;
      status = over.response ? this.#storeStatus(node, key, main, over.response) : Status.OK;
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
    return this.#storeStatus(node, key, item, response);
  }

  #storeSpec(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint): { node: ProtocolNode; spec: RequestSpec } {
    const { node, maxTtl } = this.#pool.nodeForWrite(key);
    const extras = storeExtras(item.flags, expiry(capped(ttl, maxTtl)));
    return { node, spec: { opcode, key, extras, value: item.value, cas } };
  }

  /** The status of a store; statuses other than "done" or "refused" throw. */
  #storeStatus(node: ProtocolNode, key: string, item: StoredItem, response: Response): number {
    const status = response.header.status;
    if (status === Status.TOO_LARGE) throw new ValueTooLargeError(key, item.value.length, this.#chunkSize);
    if (status === Status.NOT_FOUND || status === Status.EXISTS || status === Status.NOT_STORED) return status;
    check(node, response);
    return status;
  }

  /**
   * Sends a quiet get of `key` and then `spec`, a quiet write of it, in one batch,
   * so the node hands over what `spec` then replaces: one round trip, one failure count. The
   * write's response is there only when it did not succeed. Another client's write between the
   * two can still slip in; the chunks it replaced then stay until their TTL, unreadable (chunk
   * keys carry the version of their manifest).
   */
  async #writeOver(node: ProtocolNode, key: string, spec: RequestSpec, deadline: number): Promise<{ old: StoredItem | undefined; response: Response | undefined }> {
    const budget = this.#left(node, deadline);
    if (typeof budget !== 'number') throw budget;
    let old: StoredItem | undefined;
    let response: Response | undefined;
    const onItem = (r: Response) => {
      if (r.header.opcode !== Op.GETKQ) response = r;
      else if (r.header.status === Status.OK) old = { value: r.val, flags: responseFlags(r) };
    };
    await this.#pool.call(node, () => node.requestQuietBatch([{ opcode: Op.GETKQ, key }, spec], onItem, budget), [key]);
    return { old, response };
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
    await this.#onChunks(keys, (chunkKey) => ({ opcode: Op.DELETE, key: chunkKey }), deadline).catch(() => undefined);
  }

  /** The manifest in `item`, undefined when it is not one Larder would have written. */
  #manifestOf(item: StoredItem): Manifest | undefined {
    try {
      return readManifest(item, { chunkSize: this.#chunkSize, maxValueSize: this.capabilities.maxValueSize });
    } catch {
      return undefined;
    }
  }

  /**
   * Sends one request per chunk key (a delete or touch), the keys of one node under one failure
   * count, all nodes in parallel, within `deadline`. Resolves with each key's status; rejects on
   * the first node that fails or an error status other than NOT_FOUND.
   */
  async #onChunks(keys: readonly string[], spec: (chunkKey: string, maxTtl: number | undefined) => RequestSpec, deadline: number): Promise<number[]> {
    const byNode = new Map<ProtocolNode, RequestSpec[]>();
    for (const chunkKey of keys) {
      const { node, maxTtl } = this.#pool.nodeForWrite(chunkKey);
      const specs = byNode.get(node) ?? [];
      specs.push(spec(chunkKey, maxTtl));
      byNode.set(node, specs);
    }
    const batches = [...byNode].map(async ([node, specs]) => {
      const budget = this.#left(node, deadline);
      if (typeof budget !== 'number') throw budget;
      const responses = await this.#pool.call(node, () => Promise.all(specs.map((s) => node.request(s, budget))), specs.map((s) => s.key!));
      for (const response of responses) if (response.header.status !== Status.NOT_FOUND) check(node, response);
      return responses.map((response) => response.header.status);
    });
    return (await Promise.all(batches)).flat();
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

function check(node: ProtocolNode, response: Response): void {
  const status = response.header.status;
  if (status !== Status.OK) throw new ServerError(node.address, status, response.val.toString('utf8') || 'error');
}

function decoding<T>(key: string, item: StoredItem, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    throw new DeserializationError(key, item.flags, { cause });
  }
}

function expiry(ttl: number): number {
  return Math.min(toMemcachedExpiry(ttl), MAX_EXPIRY);
}

/** `ttl` seconds (0 = never expire), shortened to `maxTtl` when one applies. */
function capped(ttl: number, maxTtl: number | undefined): number {
  return maxTtl === undefined || (ttl > 0 && ttl <= maxTtl) ? ttl : maxTtl;
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}
