import { LarderError, NodeDeadError } from '../../errors.js';
import { HashRing } from './hash-ring.js';
import type { MemcachedNode } from './memcached-node.js';
import type { ServerAddress } from './server-list.js';

/** A change of a node's state, for logs and metrics. */
export interface NodeStateChange {
  /** `host:port` of the node. */
  readonly server: string;
  /** `dead`: taken out of the ring; `alive`: put back to be tried again. */
  readonly state: 'dead' | 'alive';
  /** The failure that took it out. */
  readonly error?: Error;
}

/** Failover settings. */
export interface FailoverSettings {
  /** Consecutive failures that take a node out of the ring. */
  readonly failureLimit: number;
  /** Seconds a dead node stays out before it is tried again. */
  readonly deadTimeout: number;
  /** Told of every state change. */
  readonly onNodeChange: ((change: NodeStateChange) => void) | undefined;
  /** Clock in milliseconds. */
  readonly now: () => number;
}

interface Member {
  readonly address: ServerAddress;
  readonly node: MemcachedNode;
  failures: number;
  lastFailure: Error | undefined;
  /** When a dead node may be tried again; undefined while alive. */
  retryAt: number | undefined;
}

// Failures that say "this node is unreachable or unusable", as opposed to an answer.
const NODE_FAILURES = new Set(['E_CONNECTION', 'E_TIMEOUT', 'E_AUTH']);

/**
 * The nodes of a cluster and the ring over the live ones. A node that fails `failureLimit`
 * times in a row leaves the ring (only its share of keys moves, to the next points) and
 * comes back after `deadTimeout` seconds, as libmemcached's remove_failed / dead_timeout do.
 */
export class NodePool {
  readonly #members: Member[];
  readonly #byNode: Map<MemcachedNode, Member>;
  readonly #settings: FailoverSettings;
  #ring: HashRing<Member> | undefined;
  #nextRetryAt = Infinity;

  constructor(entries: ReadonlyArray<{ address: ServerAddress; node: MemcachedNode }>, settings: FailoverSettings) {
    this.#members = entries.map(({ address, node }) => ({ address, node, failures: 0, lastFailure: undefined, retryAt: undefined }));
    this.#byNode = new Map(this.#members.map((m) => [m.node, m]));
    this.#settings = settings;
    this.#rebuild();
  }

  /** Every node, dead or alive. */
  get nodes(): MemcachedNode[] {
    return this.#members.map((m) => m.node);
  }

  /** The live node that owns `key`; throws NodeDeadError when every node is dead. */
  nodeFor(key: string): MemcachedNode {
    return this.#liveRing().nodeFor(key).node;
  }

  /** Keys grouped by the live node that owns them. */
  groupByNode(keys: readonly string[]): Map<MemcachedNode, string[]> {
    const groups = new Map<MemcachedNode, string[]>();
    for (const [member, memberKeys] of this.#liveRing().groupByNode(keys)) groups.set(member.node, memberKeys);
    return groups;
  }

  /** Runs a request on a node and keeps its health: success clears failures, a node failure counts. */
  async call<T>(node: MemcachedNode, request: () => Promise<T>): Promise<T> {
    const member = this.#byNode.get(node)!;
    try {
      const result = await request();
      member.failures = 0;
      return result;
    } catch (error) {
      if (error instanceof LarderError && NODE_FAILURES.has(error.code)) this.#failed(member, error);
      throw error;
    }
  }

  #failed(member: Member, error: LarderError): void {
    member.failures++;
    member.lastFailure = error;
    if (member.retryAt !== undefined || member.failures < this.#settings.failureLimit) return;
    member.retryAt = this.#settings.now() + this.#settings.deadTimeout * 1000;
    this.#nextRetryAt = Math.min(this.#nextRetryAt, member.retryAt);
    this.#rebuild();
    this.#settings.onNodeChange?.({ server: member.node.address, state: 'dead', error });
  }

  #liveRing(): HashRing<Member> {
    if (this.#settings.now() >= this.#nextRetryAt) this.#revive();
    if (!this.#ring) {
      const last = this.#members.find((m) => m.lastFailure)?.lastFailure;
      throw new NodeDeadError(this.#members.map((m) => m.node.address).join(', '), last);
    }
    return this.#ring;
  }

  #revive(): void {
    const now = this.#settings.now();
    for (const member of this.#members) {
      if (member.retryAt === undefined || member.retryAt > now) continue;
      member.retryAt = undefined;
      // One more failure takes it out again at once, like a retry in libmemcached.
      member.failures = Math.max(0, this.#settings.failureLimit - 1);
      this.#settings.onNodeChange?.({ server: member.node.address, state: 'alive' });
    }
    this.#nextRetryAt = Math.min(Infinity, ...this.#members.map((m) => m.retryAt ?? Infinity));
    this.#rebuild();
  }

  #rebuild(): void {
    const live = this.#members.filter((m) => m.retryAt === undefined);
    this.#ring = live.length > 0 ? new HashRing(live.map((m) => ({ address: m.address, node: m }))) : undefined;
  }
}
