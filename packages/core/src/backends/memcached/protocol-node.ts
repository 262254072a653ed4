import type { RequestSpec, Response } from './protocol.js';

/**
 * One memcached server as the backend and the node pool see it, whatever the protocol:
 * requests in the binary form (BinaryNode sends them as they are, MetaNode as meta commands).
 */
export interface ProtocolNode {
  /** `host:port` as given (or a Unix socket's path). */
  readonly address: string;
  /** Sends one request; resolves with its response (any status) within `budget` ms, rejects on failure. */
  request(spec: RequestSpec, budget?: number): Promise<Response>;
  /** A no-op round trip for health checks, within the connect timeout when a connection must be made. */
  ping(): Promise<void>;
  /** Sends requests and a no-op in one write; `onItem` sees each answer and the index of its request; resolves at the no-op's. */
  requestQuietBatch(specs: readonly RequestSpec[], onItem: (response: Response, index: number) => void, budget?: number): Promise<void>;
  /** Closes the connection for good. */
  close(): void;
}
