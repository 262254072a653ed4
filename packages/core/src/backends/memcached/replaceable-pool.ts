import { NodePool, type FailoverSettings } from './node-pool.js';
import type { ProtocolNode } from './protocol-node.js';
import { formatAddress, type ServerAddress } from './server-list.js';

/**
 * The node pool of a memcached backend, which a discovered node list may replace (see
 * NodeDiscovery): nodes at an address already known keep their connection, new ones are made,
 * dropped ones are closed once the requests sent to them had `retireAfterMs` to settle. A node's
 * failover state starts afresh with each list (the list changed under it).
 */
export class ReplaceablePool {
  #pool: NodePool;
  readonly #makeNode: (address: ServerAddress) => ProtocolNode;
  readonly #failover: FailoverSettings;
  readonly #retireAfterMs: number;
  /** Nodes a list dropped: closed once their requests had time to settle, or at close(). */
  readonly #retiring = new Set<ProtocolNode>();

  constructor(addresses: readonly ServerAddress[], makeNode: (address: ServerAddress) => ProtocolNode, failover: FailoverSettings, retireAfterMs: number) {
    this.#makeNode = makeNode;
    this.#failover = failover;
    this.#retireAfterMs = retireAfterMs;
    this.#pool = new NodePool(addresses.map((address) => ({ address, node: makeNode(address) })), failover);
  }

  /** The pool requests go through now. */
  get current(): NodePool {
    return this.#pool;
  }

  /** Rebuilds the ring over `addresses` (see the class). */
  useServers(addresses: readonly ServerAddress[]): void {
    const old = this.#pool;
    const known = new Map(old.entries.map((entry) => [`${formatAddress(entry.address)}:${entry.address.weight}`, entry.node]));
    const entries = addresses.map((address) => ({ address, node: known.get(`${formatAddress(address)}:${address.weight}`) ?? this.#makeNode(address) }));
    this.#pool = new NodePool(entries, this.#failover);
    old.close();
    const kept = new Set(entries.map((entry) => entry.node));
    const dropped = old.nodes.filter((node) => !kept.has(node));
    if (dropped.length === 0) return;
    for (const node of dropped) this.#retiring.add(node);
    setTimeout(() => {
      for (const node of dropped) {
        if (this.#retiring.delete(node)) node.close();
      }
    }, this.#retireAfterMs).unref();
  }

  /** Closes the pool and every node, retiring ones too. */
  close(): void {
    this.#pool.close();
    for (const node of this.#pool.nodes) node.close();
    for (const node of this.#retiring) node.close();
    this.#retiring.clear();
  }
}
