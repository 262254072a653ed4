import { InvalidOptionError, NotNumericError, ServerError, ValueTooLargeError } from '../../errors.js';
import { toMemcachedExpiry } from '../../ttl.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../../types/backend.js';
import { MemcachedNode } from './memcached-node.js';
import { HashRing } from './hash-ring.js';
import {
  Op,
  Status,
  arithExtras,
  expiryExtras,
  responseCas,
  responseFlags,
  storeExtras,
  type RequestSpec,
  type Response,
} from './protocol.js';
import { formatAddress, parseServerList } from './server-list.js';

/** Options of the memcached backend. */
export interface MemcachedBackendOptions {
  /** `host:port[:weight]` entries, as an array or one comma-separated string. */
  servers: string | readonly string[];
  /** SASL PLAIN username (MemCachier, `memcached -S`). */
  username?: string;
  /** SASL PLAIN password. */
  password?: string;
  /** Milliseconds a request may wait for its answer (default 500). */
  timeout?: number;
  /** Milliseconds to connect and authenticate (default 2000). */
  connectTimeout?: number;
  /** TCP keep-alive on idle connections (default true). */
  keepAlive?: boolean;
  /** Largest value in bytes; memcached's own item limit is 1 MiB by default (default 1 MiB). */
  maxValueSize?: number;
}

const DEFAULT_ITEM_LIMIT = 1024 * 1024;
// memcached needs room for its item header and the key inside the item limit.
const ITEM_OVERHEAD = 512;
const MAX_EXPIRY = 0xfffffffe;

/** A backend on one or more memcached servers over the binary protocol (memjs), with SASL. */
export class MemcachedBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #nodes: MemcachedNode[];
  readonly #ring: HashRing<MemcachedNode>;

  constructor(options: MemcachedBackendOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'MemcachedBackend needs an options object with "servers"');
    }
    const addresses = parseServerList(options.servers);
    const timeout = positiveNumber('timeout', options.timeout ?? 500);
    const connectTimeout = positiveNumber('connectTimeout', options.connectTimeout ?? 2000);
    if ((options.username === undefined) !== (options.password === undefined)) {
      throw new InvalidOptionError(options.username === undefined ? 'username' : 'password', 'SASL needs both username and password');
    }
    const maxValueSize = positiveNumber('maxValueSize', options.maxValueSize ?? DEFAULT_ITEM_LIMIT - ITEM_OVERHEAD);
    this.capabilities = { shared: true, maxValueSize, touch: true };
    this.#nodes = addresses.map(
      (address) =>
        new MemcachedNode({
          host: address.host,
          port: address.port,
          username: options.username,
          password: options.password,
          timeout,
          connectTimeout,
          keepAlive: options.keepAlive ?? true,
        }),
    );
    this.#ring = new HashRing(addresses.map((address, i) => ({ address, node: this.#nodes[i]! })));
    this.name = `memcached(${addresses.map(formatAddress).join(',')})`;
  }

  /** Checks every node answers and accepts the credentials (a NOOP, which memcached -S refuses unauthenticated). */
  async connect(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => node.request({ opcode: Op.NOOP }).then((r) => check(node, r))));
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const node = this.#ring.nodeFor(key);
    const response = await node.request({ opcode: Op.GET, key });
    if (response.header.status === Status.NOT_FOUND) return undefined;
    check(node, response);
    return { value: response.val, flags: responseFlags(response) };
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const found = new Map<string, StoredItem>();
    const batches = [...this.#ring.groupByNode(unique(keys))].map(([node, nodeKeys]) =>
      node.requestQuietBatch(
        nodeKeys.map((key) => ({ opcode: Op.GETKQ, key })),
        (response) => {
          if (response.header.status === Status.OK) {
            found.set(response.key.toString('utf8'), { value: response.val, flags: responseFlags(response) });
          }
        },
      ),
    );
    await Promise.all(batches);
    return found;
  }

  set(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.SET, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  async setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> {
    for (const [key, item] of entries) this.#checkSize(key, item);
    const results = await Promise.allSettled(entries.map(([key, item]) => this.set(key, item, ttl)));
    return entries.filter((_, i) => results[i]!.status === 'rejected' || !(results[i] as PromiseFulfilledResult<boolean>).value).map(([key]) => key);
  }

  add(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.ADD, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#store(Op.REPLACE, key, item, ttl, 0n).then((status) => status === Status.OK);
  }

  async delete(key: string): Promise<boolean> {
    const node = this.#ring.nodeFor(key);
    const response = await node.request({ opcode: Op.DELETE, key });
    if (response.header.status === Status.NOT_FOUND) return false;
    check(node, response);
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

  async touch(key: string, ttl: number): Promise<boolean> {
    const node = this.#ring.nodeFor(key);
    const response = await node.request({ opcode: Op.TOUCH, key, extras: expiryExtras(expiry(ttl)) });
    if (response.header.status === Status.NOT_FOUND) return false;
    check(node, response);
    return true;
  }

  async gets(key: string): Promise<CasItem | undefined> {
    const node = this.#ring.nodeFor(key);
    const response = await node.request({ opcode: Op.GET, key });
    if (response.header.status === Status.NOT_FOUND) return undefined;
    check(node, response);
    return { value: response.val, flags: responseFlags(response), cas: responseCas(response) };
  }

  async cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> {
    const status = await this.#store(Op.SET, key, item, ttl, cas);
    if (status === Status.NOT_FOUND) return undefined;
    return status === Status.OK;
  }

  async flush(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => node.request({ opcode: Op.FLUSH }).then((r) => check(node, r))));
  }

  async close(): Promise<void> {
    for (const node of this.#nodes) node.close();
  }

  async #store(opcode: number, key: string, item: StoredItem, ttl: number, cas: bigint): Promise<number> {
    this.#checkSize(key, item);
    const node = this.#ring.nodeFor(key);
    const spec: RequestSpec = { opcode, key, extras: storeExtras(item.flags, expiry(ttl)), value: item.value, cas };
    const response = await node.request(spec);
    const status = response.header.status;
    if (status === Status.TOO_LARGE) throw new ValueTooLargeError(key, item.value.length, this.capabilities.maxValueSize);
    if (status === Status.NOT_FOUND || status === Status.EXISTS || status === Status.NOT_STORED) return status;
    check(node, response);
    return status;
  }

  async #arith(opcode: number, key: string, delta: bigint): Promise<bigint | undefined> {
    const node = this.#ring.nodeFor(key);
    const response = await node.request({ opcode, key, extras: arithExtras(delta) });
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

function expiry(ttl: number): number {
  return Math.min(toMemcachedExpiry(ttl), MAX_EXPIRY);
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

function positiveNumber(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, `must be a positive number, got ${String(value)}`);
  }
  return value;
}
