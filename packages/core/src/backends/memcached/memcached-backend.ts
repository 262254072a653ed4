import { DeserializationError, InvalidOptionError, NotNumericError, PartialResultError, ServerError, ValueTooLargeError } from '../../errors.js';
import { parseDurationOption, type Duration } from '../../duration.js';
import { toMemcachedExpiry } from '../../ttl.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../../types/backend.js';
import { CHUNKED_FLAG, chunkKeys, isManifest, joinChunks, readManifest, splitValue } from './chunked-values.js';
import { MemcachedNode } from './memcached-node.js';
import { NodePool, type NodeStateChange } from './node-pool.js';
import { Op, Status, arithExtras, expiryExtras, responseCas, responseFlags, storeExtras, type Response } from './protocol.js';
import { formatAddress, parseServerList } from './server-list.js';

/** Options of the memcached backend. */
export interface MemcachedBackendOptions {
  /** `host:port[:weight]` entries, as an array or one comma-separated string. */
  servers: string | readonly string[];
  /** SASL PLAIN username (MemCachier, `memcached -S`). */
  username?: string;
  /** SASL PLAIN password. */
  password?: string;
  /**
   * Milliseconds (a number, or `'500ms'`, `'2s'`) within which every call settles, connecting
   * included (default 500; from 1 ms to 2^31 - 1 ms: `0.5` is refused, it is seconds).
   */
  timeout?: Duration;
  /**
   * Milliseconds (or `'2s'`) that `connect()` and background probes of a node may take to
   * connect, authenticate and answer (default 2000). Calls never wait longer than `timeout`.
   */
  connectTimeout?: Duration;
  /** TCP keep-alive on idle connections (default true). */
  keepAlive?: boolean;
  /**
   * Consecutive failures (refused, reset, timed out) that take a node out of the ring (default 2).
   * One failure followed by a failed probe does too; a refused SASL login does at once.
   */
  failureLimit?: number;
  /**
   * Seconds (or `'500ms'`, `'2s'`) between background probes of a node out of the ring
   * (default 2, MemCachier's advice for pylibmc). Requests never wait on a dead node.
   */
  deadTimeout?: Duration;
  /**
   * Keys remembered per dead node (written or deleted on another node while it was out) to
   * delete from it before it rejoins; past this it is flushed before it rejoins
   * (default 10,000, at most 250 bytes each; 0 = always flush a node that comes back).
   */
  rejoinKeyLimit?: number;
  /** Told when a node leaves or rejoins the ring. */
  onNodeChange?: (change: NodeStateChange) => void;
  /** Largest value in bytes; larger ones are split into chunks up to this (default 32 MiB). */
  maxValueSize?: number;
  /**
   * Largest single memcached item the backend writes, in bytes (default 1,000,000: fits
   * memcached's and MemCachier's 1 MB). Processes sharing a cache must use the same value: a
   * chunked value whose chunk count does not match it is refused as foreign (a miss).
   */
  chunkSize?: number;
}

const MAX_EXPIRY = 0xfffffffe;

/**
 * A backend on one or more memcached servers over the binary protocol (memjs), with SASL,
 * a libmemcached-compatible KETAMA ring, failover of dead nodes, and values larger than
 * memcached's item limit split into checksummed chunks.
 */
export class MemcachedBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #pool: NodePool;
  readonly #chunkSize: number;
  readonly #connectTimeout: number;

  constructor(options: MemcachedBackendOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'MemcachedBackend needs an options object with "servers"');
    }
    const addresses = parseServerList(options.servers);
    const timeout = parseDurationOption('timeout', options.timeout ?? 500, 'ms');
    const connectTimeout = parseDurationOption('connectTimeout', options.connectTimeout ?? 2000, 'ms');
    this.#connectTimeout = connectTimeout;
    if ((options.username === undefined) !== (options.password === undefined)) {
      throw new InvalidOptionError(options.username === undefined ? 'username' : 'password', 'SASL needs both username and password');
    }
    this.#chunkSize = positive('chunkSize', options.chunkSize ?? 1_000_000);
    const maxValueSize = positive('maxValueSize', options.maxValueSize ?? 32 * 1024 * 1024);
    this.capabilities = { shared: true, maxValueSize, touch: true, reservedFlags: CHUNKED_FLAG };
    const nodes = addresses.map((address) => ({
      address,
      node: new MemcachedNode({
        host: address.host,
        port: address.port,
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
      onNodeChange: options.onNodeChange,
    });
    this.name = `memcached(${addresses.map(formatAddress).join(',')})`;
  }

  /**
   * Checks every node answers and accepts the credentials (a NOOP, which memcached -S refuses
   * unauthenticated); each node may take `connectTimeout`.
   */
  async connect(): Promise<void> {
    const ping = (node: MemcachedNode) => this.#pool.call(node, () => node.request({ opcode: Op.NOOP }, this.#connectTimeout));
    await Promise.all(this.#pool.nodes.map((node) => ping(node).then((r) => check(node, r))));
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const item = await this.#getRaw(key);
    return item && isManifest(item) ? this.#assemble(key, item) : item;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    let found: Map<string, StoredItem>;
    let failure: unknown;
    try {
      found = await this.#getManyRaw(unique(keys));
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
          const whole = await this.#assemble(key, manifestItem);
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
    return this.#store(Op.SET, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  async setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> {
    for (const [key, item] of entries) this.#checkSize(key, item);
    const results = await Promise.allSettled(entries.map(([key, item]) => this.set(key, item, ttl)));
    return entries.filter((_, i) => { const r = results[i]!; return r.status === 'rejected' || !r.value; }).map(([key]) => key);
  }

  add(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.ADD, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.REPLACE, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  async delete(key: string): Promise<boolean> {
    const response = await this.#request(key, Op.DELETE);
    return response.header.status !== Status.NOT_FOUND;
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

  async touch(key: string, ttl: number): Promise<boolean> {
    const response = await this.#request(key, Op.TOUCH, expiryExtras(expiry(ttl)));
    // Chunks keep their first TTL; they are read only through the manifest, which now lives longer.
    return response.header.status !== Status.NOT_FOUND;
  }

  async gets(key: string): Promise<CasItem | undefined> {
    const response = await this.#request(key, Op.GET);
    if (response.header.status === Status.NOT_FOUND) return undefined;
    const raw = { value: response.val, flags: responseFlags(response) };
    const item = isManifest(raw) ? await this.#assemble(key, raw) : raw;
    return item && { ...item, cas: responseCas(response) };
  }

  async cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> {
    const status = await this.#store(Op.SET, key, item, ttl, cas);
    if (status === Status.NOT_FOUND) return undefined;
    return status === Status.OK;
  }

  /** Flushes the live nodes; a node out of the ring is flushed before it rejoins. */
  async flush(): Promise<void> {
    await Promise.all(this.#pool.flushTargets().map((node) => this.#pool.call(node, () => node.request({ opcode: Op.FLUSH })).then((r) => check(node, r))));
  }

  async close(): Promise<void> {
    this.#pool.close();
    for (const node of this.#pool.nodes) node.close();
  }

  /** One request for `key` on its node; NOT_FOUND is returned, other error statuses throw. */
  async #request(key: string, opcode: number, extras?: Buffer): Promise<Response> {
    const node = opcode === Op.GET ? this.#pool.nodeFor(key) : this.#pool.nodeForWrite(key);
    const response = await this.#pool.call(node, () => node.request(extras ? { opcode, key, extras } : { opcode, key }));
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
  async #getManyRaw(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const found = new Map<string, StoredItem>();
    const batches = [...this.#pool.groupByNode(keys)].map(([node, nodeKeys]) =>
      this.#pool.call(node, () =>
        node.requestQuietBatch(
          nodeKeys.map((key) => ({ opcode: Op.GETKQ, key })),
          (response) => {
            if (response.header.status === Status.OK) {
              found.set(response.key.toString('utf8'), { value: response.val, flags: responseFlags(response) });
            }
          },
        ),
      ),
    );
    const failures = (await Promise.allSettled(batches)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) throw new PartialResultError(failures[0]!.reason, found);
    return found;
  }

  /**
   * Reads the chunks a manifest names and joins them; a miss if any was evicted. A manifest
   * or chunks that break the bounds (a foreign value with the chunk flag, corrupt chunks)
   * reject with a DeserializationError before anything large is fetched or allocated.
   */
  async #assemble(key: string, manifestItem: StoredItem): Promise<StoredItem | undefined> {
    const limits = { chunkSize: this.#chunkSize, maxValueSize: this.capabilities.maxValueSize };
    const manifest = decoding(key, manifestItem, () => readManifest(manifestItem, limits));
    const keys = chunkKeys(key, manifest);
    const chunks = await this.#getManyRaw(keys);
    return decoding(key, manifestItem, () => joinChunks(manifestItem, manifest, keys.map((chunkKey) => chunks.get(chunkKey))));
  }

  async #store(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint): Promise<number> {
    this.#checkSize(key, item);
    const exp = expiry(ttl);
    let main = item;
    if (item.value.length > this.#chunkSize) {
      const split = splitValue(key, item, this.#chunkSize);
      const failed = await Promise.all(split.chunks.map(([chunkKey, chunk]) => this.#storeOne(Op.SET, chunkKey, chunk, exp, 0n)));
      if (failed.some((status) => status !== Status.OK)) return Status.NOT_STORED;
      main = split.manifest;
    }
    return this.#storeOne(opcode, key, main, exp, cas);
  }

  async #storeOne(opcode: number, key: string, item: StoredItem, exp: number, cas: bigint): Promise<number> {
    const node = this.#pool.nodeForWrite(key);
    const extras = storeExtras(item.flags, exp);
    const response = await this.#pool.call(node, () => node.request({ opcode, key, extras, value: item.value, cas }));
    const status = response.header.status;
    if (status === Status.TOO_LARGE) throw new ValueTooLargeError(key, item.value.length, this.#chunkSize);
    if (status === Status.NOT_FOUND || status === Status.EXISTS || status === Status.NOT_STORED) return status;
    check(node, response);
    return status;
  }

  async #arith(opcode: number, key: string, delta: bigint): Promise<bigint | undefined> {
    const node = this.#pool.nodeForWrite(key);
    const response = await this.#pool.call(node, () => node.request({ opcode, key, extras: arithExtras(delta) }));
    if (response.header.status === Status.NOT_FOUND) return undefined;
    if (response.header.status === Status.NON_NUMERIC) throw new NotNumericError(key);
    check(node, response);
    return response.val.readBigUInt64BE(0);
  }

  #checkSize(key: string, item: StoredItem): void {
    if (item.value.length > this.capabilities.maxValueSize) {
      throw new ValueTooLargeError(key, item.value.length, this.capabilities.maxValueSize);
    }
  }
}

function check(node: MemcachedNode, response: Response): void {
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

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

function count(option: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be a whole number of at least ${min}, got ${String(value)}`);
  }
  return value;
}

function positive(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, `must be a positive number, got ${String(value)}`);
  }
  return value;
}
