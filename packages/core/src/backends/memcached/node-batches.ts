import type { TimeoutError } from '../../errors.js';
import type { StoredItem } from '../../types/backend.js';
import { check } from './call-helpers.js';
import type { NodePool } from './node-pool.js';
import type { ProtocolNode } from './protocol-node.js';
import { Op, Status, type RequestSpec, type Response } from './protocol.js';

/** Milliseconds left for the next round trip to a node, or the TimeoutError to throw (see MemcachedBackend). */
export type Budget = (node: ProtocolNode) => number | TimeoutError;

/**
 * Sends a quiet get of `key` and then `spec`, a quiet write of it, in one batch,
 * so the node hands over what `spec` then replaces: one round trip, one failure count. The
 * write's response is there only when it did not succeed. Another client's write between the
 * two can still slip in; the chunks it replaced then stay until their TTL, unreadable (chunk
 * keys carry the version of their manifest).
 */
export async function writeOver(pool: NodePool, node: ProtocolNode, key: string, spec: RequestSpec, left: Budget): Promise<{ old: StoredItem | undefined; response: Response | undefined }> {
  const budget = left(node);
  if (typeof budget !== 'number') throw budget;
  let old: StoredItem | undefined;
  let response: Response | undefined;
  const onItem = (r: Response) => {
    if (r.header.opcode !== Op.GETKQ) response = r;
    else if (r.header.status === Status.OK) old = { value: r.val, flags: r.flags };
  };
  await pool.call(node, () => node.requestQuietBatch([{ opcode: Op.GETKQ, key }, spec], onItem, budget), [key]);
  return { old, response };
}

/**
 * Sends one request per chunk key (a delete or touch), the keys of one node under one failure
 * count, all nodes in parallel, each within `left`. Resolves with each key's status; rejects on
 * the first node that fails or an error status other than NOT_FOUND.
 */
export async function onChunks(pool: NodePool, keys: readonly string[], spec: (chunkKey: string, maxTtl: number | undefined) => RequestSpec, left: Budget): Promise<number[]> {
  const byNode = new Map<ProtocolNode, RequestSpec[]>();
  for (const chunkKey of keys) {
    const { node, maxTtl } = pool.nodeForWrite(chunkKey);
    const specs = byNode.get(node) ?? [];
    specs.push(spec(chunkKey, maxTtl));
    byNode.set(node, specs);
  }
  const batches = [...byNode].map(async ([node, specs]) => {
    const budget = left(node);
    if (typeof budget !== 'number') throw budget;
    const responses = await pool.call(node, () => Promise.all(specs.map((s) => node.request(s, budget))), specs.map((s) => s.key!));
    for (const response of responses) if (response.header.status !== Status.NOT_FOUND) check(node, response);
    return responses.map((response) => response.header.status);
  });
  return (await Promise.all(batches)).flat();
}
