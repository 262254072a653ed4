import { ConnectionError, LarderError, NodeDeadError, ServerError } from '../../errors.js';
import { HashRing } from './hash-ring.js';
import type { ProtocolNode } from './protocol-node.js';
import { MovedKeys } from './moved-keys.js';
import { Op, Status } from './protocol.js';
import type { ServerAddress } from './server-list.js';

/** A server of a memcached backend and whether it is in service. */
export interface ServerState {
  /** `host:port`. */
  readonly server: string;
  /** False while the node is out of the ring (dead, waiting for a probe). */
  readonly inService: boolean;
}

/** A change of a node's state, for logs and metrics. */
export interface NodeStateChange {
  /** `host:port` of the node. */
  readonly server: string;
  /** `dead`: taken out of the ring; `alive`: answered a probe, cleaned up, and back in the ring. */
  readonly state: 'dead' | 'alive';
  /** The failure that took it out. */
  readonly error?: Error;
  /** On `alive`: it was flushed before rejoining (too many keys changed while it was out, or a flush). */
  readonly flushed?: true;
}

/** Failover settings. */
export interface FailoverSettings {
  /** Consecutive failures that take a node out of the ring (a failed probe after any failure does too). */
  readonly failureLimit: number;
  /** Milliseconds between background probes of a dead node. */
  readonly deadTimeoutMs: number;
  /** Keys remembered per dead node for deletion before it rejoins; past this it is flushed instead. */
  readonly rejoinKeyLimit: number;
  /** Milliseconds each clean-up batch (deletes or flush) sent before a rejoin may take. */
  readonly cleanupTimeout: number;
  /** Longest TTL, in seconds, of a write sent elsewhere for a dead node's key that is not tracked. */
  readonly failoverTtl: number;
  /** Told of every state change; a listener that throws is ignored (reported once). */
  readonly onNodeChange: ((change: NodeStateChange) => void) | undefined;
}

/** Where a write or delete goes. */
export interface WriteTarget {
  /** The live node that takes it. */
  readonly node: ProtocolNode;
  /**
   * Set when the key belongs to a dead node that no longer tracks the keys written for it:
   * nothing will delete this copy, so its TTL must be at most this many seconds.
   */
  readonly maxTtl: number | undefined;
}

interface Member {
  readonly address: ServerAddress;
  readonly node: ProtocolNode;
  failures: number;
  lastFailure: Error | undefined;
  /** Set while out of the ring: what the node must forget before it rejoins. */
  moved: MovedKeys | undefined;
  /** While in the ring after a failure: the keys of the requests that failed on it since it last answered. */
  suspects: MovedKeys | undefined;
  /** While out of the ring: the ring of the live nodes plus this one, which tells the keys it would take back. */
  shadow: HashRing<Member> | undefined;
  /** A probe of this node is in flight (at most one at a time). */
  probing: boolean;
  /** The next probe of a dead node. */
  timer: NodeJS.Timeout | undefined;
}

// Failures that say "this node is unreachable or unusable", as opposed to an answer.
const NODE_FAILURES = new Set(['E_CONNECTION', 'E_TIMEOUT', 'E_AUTH']);
const DELETEQ = 0x14;
const NO_KEYS: readonly string[] = Object.freeze([]);
const CLEANUP_BATCH = 1000;
// Keys keep arriving while a busy cluster cleans up; after this many batches a flush ends it.
const CLEANUP_ROUNDS = 20;

/**
 * The nodes of a cluster and the ring over the live ones. A node leaves the ring after
 * `failureLimit` consecutive failures, or after one failure that a probe confirms (so a single
 * slow answer does not take a healthy node out); an auth refusal takes it out at once. Only its
 * share of keys moves. While it is out, one background probe per `deadTimeout` checks it, so
 * no request waits on it.
 *
 * Nothing acknowledged while a node is out is undone when it comes back: every write, delete or
 * read of a key it would own, sent to another node meanwhile, and every key whose request failed
 * on it just before it left, is remembered (up to `rejoinKeyLimit` keys); before it rejoins, those keys are deleted from it, or, past the limit or after a
 * `flush()`, it is flushed, as operators of ketama failover are told to do. It rejoins only once
 * that succeeded; the other nodes' now unreachable copies of the remembered keys are then
 * deleted, best effort. Keys past the limit cannot be deleted from the other nodes later, so
 * writes of them there live at most `failoverTtl`: a later outage of the node cannot serve them
 * over a delete made after the rejoin, once that time has passed.
 */
export class NodePool {
  readonly #members: Member[];
  readonly #byNode: Map<ProtocolNode, Member>;
  readonly #settings: FailoverSettings;
  #ring: HashRing<Member> | undefined;
  #dead: Member[] = [];
  #closed = false;
  #listenerWarned = false;

  constructor(entries: ReadonlyArray<{ address: ServerAddress; node: ProtocolNode }>, settings: FailoverSettings) {
    this.#members = entries.map(({ address, node }) => ({
      address,
      node,
      failures: 0,
      lastFailure: undefined,
      moved: undefined,
      suspects: undefined,
      shadow: undefined,
      probing: false,
      timer: undefined,
    }));
    this.#byNode = new Map(this.#members.map((m) => [m.node, m]));
    this.#settings = settings;
    this.#rebuild();
  }

  /** Each server and whether it is in the ring now (dead nodes are out until a probe brings them back). */
  get states(): ServerState[] {
    return this.#members.map((m) => ({ server: m.node.address, inService: m.moved === undefined }));
  }

  /** Every node, dead or alive. */
  get nodes(): ProtocolNode[] {
    return this.#members.map((m) => m.node);
  }

  /** Every node with its address, in the configured order (a new pool over a changed list reuses them). */
  get entries(): Array<{ address: ServerAddress; node: ProtocolNode }> {
    return this.#members.map((m) => ({ address: m.address, node: m.node }));
  }

  /**
   * The live node that owns `key`, for a read; throws NodeDeadError when every node is dead. A
   * key of a node out of the ring is remembered as a write's is: what the caller was told (most
   * often "absent") is not undone by the copy the node still holds when it rejoins.
   */
  nodeFor(key: string): ProtocolNode {
    const member = this.#liveRing().nodeFor(key);
    this.#routedAway(key);
    return member.node;
  }

  /**
   * The live node that owns `key`, for a write or delete. When the key belongs to a node that is
   * out of the ring, it is remembered, so that node forgets its stale copy before it rejoins.
   */
  nodeForWrite(key: string): WriteTarget {
    const member = this.#liveRing().nodeFor(key);
    let tracked = true;
    for (const dead of this.#dead) if (dead.shadow!.nodeFor(key) === dead && !dead.moved!.add(key)) tracked = false;
    return { node: member.node, maxTtl: tracked ? undefined : this.#settings.failoverTtl };
  }

  /** True when the node that owns `key` is out of the ring now, so its reads and writes go to another node. */
  ownerOutOfRing(key: string): boolean {
    for (const dead of this.#dead) if (dead.shadow!.nodeFor(key) === dead) return true;
    return false;
  }

  /** Keys grouped by the live node that owns them, for reads. */
  groupByNode(keys: readonly string[]): Map<ProtocolNode, string[]> {
    const groups = new Map<ProtocolNode, string[]>();
    for (const [member, memberKeys] of this.#liveRing().groupByNode(keys)) groups.set(member.node, memberKeys);
    if (this.#dead.length > 0) for (const key of keys) this.#routedAway(key);
    return groups;
  }

  /**
   * The nodes a flush goes to: the live ones. Dead ones will be flushed before they rejoin.
   * Throws NodeDeadError when every node is dead.
   */
  flushTargets(): ProtocolNode[] {
    for (const member of this.#dead) member.moved!.flushInstead();
    this.#liveRing();
    return this.#members.filter((m) => !m.moved).map((m) => m.node);
  }

  /**
   * Runs a request for `keys` on a node and keeps its health: success clears failures, a node
   * failure counts. The keys of a failed request are remembered with the node: should it leave
   * the ring, they are handled at its rejoin as the keys written elsewhere meanwhile (a request
   * that timed out may still be carried out when the node wakes, and the caller was told it failed).
   */
  async call<T>(node: ProtocolNode, request: () => Promise<T>, keys: readonly string[] = NO_KEYS): Promise<T> {
    const member = this.#byNode.get(node);
    // A node a discovered list dropped while this request was routed: it runs, unwatched.
    if (member === undefined) return request();
    try {
      const result = await request();
      this.#answered(member);
      return result;
    } catch (error) {
      if (isNodeFailure(error)) this.#failed(member, error, keys);
      throw error;
    }
  }

  /** Stops probing; nothing rejoins after this. */
  close(): void {
    this.#closed = true;
    for (const member of this.#members) clearTimeout(member.timer);
  }

  /** A key routed to another node because its own is out of the ring: remembered for each such node. */
  #routedAway(key: string): void {
    for (const dead of this.#dead) if (dead.shadow!.nodeFor(key) === dead) dead.moved!.add(key);
  }

  #answered(member: Member): void {
    member.failures = 0;
    member.suspects = undefined;
  }

  #failed(member: Member, error: LarderError, keys: readonly string[]): void {
    member.failures++;
    member.lastFailure = error;
    // Past the limit the list says "flush" (MovedKeys), as the moved keys do.
    const remembered = member.moved ?? (member.suspects ??= new MovedKeys(this.#settings.rejoinKeyLimit));
    for (const key of keys) remembered.add(key);
    if (member.moved) return;
    if (member.failures >= this.#settings.failureLimit || error.code === 'E_AUTH') this.#markDead(member, error);
    else this.#confirm(member);
  }

  /** One failure may be a slow answer: a probe tells a live node from a dead one. */
  #confirm(member: Member): void {
    if (member.probing || this.#closed) return;
    member.probing = true;
    member.node.ping().then(
      () => {
        member.probing = false;
        this.#answered(member);
      },
      (error: unknown) => {
        member.probing = false;
        if (!member.moved && isNodeFailure(error)) this.#markDead(member, error);
      },
    );
  }

  #markDead(member: Member, error: LarderError): void {
    // Requests failing because the backend is being closed say nothing about the node.
    if (this.#closed) return;
    member.moved = member.suspects ?? new MovedKeys(this.#settings.rejoinKeyLimit);
    member.suspects = undefined;
    member.lastFailure = error;
    this.#rebuild();
    this.#scheduleProbe(member);
    this.#notify({ server: member.node.address, state: 'dead', error });
  }

  /** Tells the listener last, after the pool's own work, so a listener that throws changes nothing. */
  #notify(change: NodeStateChange): void {
    const listener = this.#settings.onNodeChange;
    if (!listener) return;
    try {
      listener(change);
    } catch (error) {
      if (this.#listenerWarned) return;
      this.#listenerWarned = true;
      console.warn('larder: the memcached onNodeChange listener threw; ignored (reported once):', error);
    }
  }

  #scheduleProbe(member: Member): void {
    if (this.#closed) return;
    member.timer = setTimeout(() => {
      member.timer = undefined;
      void this.#tryRejoin(member);
    }, this.#settings.deadTimeoutMs);
    member.timer.unref();
  }

  async #tryRejoin(member: Member): Promise<void> {
    if (this.#closed) return;
    if (member.probing) {
      this.#scheduleProbe(member);
      return;
    }
    member.probing = true;
    try {
      await member.node.ping();
      const { flushed, deleted } = await this.#forgetMoved(member);
      if (this.#closed) return;
      this.#rejoin(member, flushed, deleted);
    } catch (error) {
      if (error instanceof Error) member.lastFailure = error;
      this.#scheduleProbe(member);
    } finally {
      member.probing = false;
    }
  }

  /**
   * Deletes from a node that is about to rejoin every key written or deleted elsewhere while it
   * was out, or flushes it. Keys keep being remembered meanwhile, so it loops until none is left;
   * the caller rejoins the node in the same tick as the last check. Returns every tracked key,
   * whose copies on the other nodes go after the rejoin (at most CLEANUP_ROUNDS batches plus
   * the list: bounded).
   */
  async #forgetMoved(member: Member): Promise<{ flushed: boolean; deleted: string[] }> {
    const moved = member.moved!;
    const deleted: string[] = [];
    for (let round = 0; ; round++) {
      if (moved.needsFlush || round >= CLEANUP_ROUNDS) {
        const response = await member.node.request({ opcode: Op.FLUSH }, this.#settings.cleanupTimeout);
        if (response.header.status !== Status.OK) throw new ServerError(member.node.address, response.header.status, 'flush refused');
        // The node forgot everything, but the other nodes still hold copies of the tracked keys
        // (including those written while the flush was on its way): they go after the rejoin.
        deleted.push(...moved.take(moved.size));
        moved.flushed();
        return { flushed: true, deleted };
      }
      const batch = moved.take(CLEANUP_BATCH);
      if (batch.length === 0) return { flushed: false, deleted };
      await deleteQuietly(member.node, batch, this.#settings.cleanupTimeout);
      moved.forget(batch);
      deleted.push(...batch);
    }
  }

  #rejoin(member: Member, flushed: boolean, deleted: string[]): void {
    const interim = this.#ring;
    member.moved = undefined;
    member.failures = 0;
    this.#rebuild();
    // The copies the other nodes took while it was out are unreachable now; were they kept, a
    // later outage of this node would bring them back over newer writes. Best effort: should a
    // delete fail, that copy lives out its TTL (documented).
    if (interim && deleted.length > 0) {
      for (const [owner, keys] of interim.groupByNode(deleted)) {
        if (owner === member || owner.moved) continue;
        for (let at = 0; at < keys.length; at += CLEANUP_BATCH) {
          const batch = keys.slice(at, at + CLEANUP_BATCH);
          this.call(owner.node, () => deleteQuietly(owner.node, batch, this.#settings.cleanupTimeout)).catch(() => undefined);
        }
      }
    }
    this.#notify({ server: member.node.address, state: 'alive', ...(flushed ? { flushed: true as const } : {}) });
  }

  #liveRing(): HashRing<Member> {
    if (!this.#ring) {
      if (this.#members.length === 0) throw new ConnectionError('cluster', 'no memcached node is known yet (node discovery has not answered)');
      const last = this.#members.find((m) => m.lastFailure)?.lastFailure;
      throw new NodeDeadError(this.#members.map((m) => m.node.address).join(', '), last);
    }
    return this.#ring;
  }

  #rebuild(): void {
    // Rings keep the configured order of servers: libmemcached breaks ties between points by it.
    const ringOf = (members: Member[]) => new HashRing(members.map((m) => ({ address: m.address, node: m })));
    const live = this.#members.filter((m) => !m.moved);
    this.#ring = live.length > 0 ? ringOf(live) : undefined;
    this.#dead = this.#members.filter((m) => m.moved);
    for (const member of this.#members) {
      member.shadow = member.moved ? ringOf(this.#members.filter((m) => !m.moved || m === member)) : undefined;
    }
  }
}

function isNodeFailure(error: unknown): error is LarderError {
  return error instanceof LarderError && NODE_FAILURES.has(error.code);
}

/** Deletes keys in one pipelined batch of quiet deletes; memcached answers only misses and errors. */
async function deleteQuietly(node: ProtocolNode, keys: readonly string[], budget: number): Promise<void> {
  let refused: number | undefined;
  await node.requestQuietBatch(
    keys.map((key) => ({ opcode: DELETEQ, key })),
    (response) => {
      if (response.header.status !== Status.OK && response.header.status !== Status.NOT_FOUND) refused = response.header.status;
    },
    budget,
  );
  if (refused !== undefined) throw new ServerError(node.address, refused, 'delete refused');
}
