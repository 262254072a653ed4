import type { ConnectionOptions } from 'node:tls';
import { fetchClusterConfig, type ClusterConfig } from './cluster-config.js';
import { formatAddress, type ServerAddress } from './server-list.js';

/** Node discovery, resolved (see MemcachedDiscoveryOptions). */
export interface DiscoverySettings {
  readonly endpoint: ServerAddress;
  readonly intervalMs: number;
  readonly onChange: ((servers: readonly string[], version: number) => void) | undefined;
  readonly onError: ((error: unknown) => void) | undefined;
}

/**
 * ElastiCache-style auto-discovery: asks the configuration endpoint for the node list at start
 * and every `intervalMs`, and hands a list whose version differs from the last one to `apply`.
 * A failed or malformed poll keeps the last list (and goes to `onError`); only the first list is
 * waited for (`ready`), so requests never wait on a poll.
 */
export class NodeDiscovery {
  readonly #settings: DiscoverySettings;
  readonly #tls: ConnectionOptions | undefined;
  readonly #timeoutMs: number;
  readonly #apply: (config: ClusterConfig) => void;
  #version: number | undefined;
  #first: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(settings: DiscoverySettings, tls: ConnectionOptions | undefined, timeoutMs: number, apply: (config: ClusterConfig) => void) {
    this.#settings = settings;
    this.#tls = tls;
    this.#timeoutMs = timeoutMs;
    this.#apply = apply;
  }

  /** Starts polling; the first answer is fetched now. */
  start(): void {
    this.#first = this.#poll();
    // A first poll that fails is reported; `ready` asks again.
    this.#first.catch((error: unknown) => this.#report(error));
    this.#timer = setInterval(() => {
      if (!this.#polling) this.#poll().catch((error: unknown) => this.#report(error));
    }, this.#settings.intervalMs);
    this.#timer.unref();
  }

  /** Resolves once a node list is known: at once after the first, else after a poll now (rejecting with its typed error). */
  async ready(): Promise<void> {
    if (this.#version !== undefined) return;
    try {
      await this.#first;
    } catch {
      // The first poll failed (reported then): ask again, and let this caller see the outcome.
    }
    if (this.#version === undefined) await this.#poll();
  }

  /** Stops polling. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      const config = await fetchClusterConfig(this.#settings.endpoint, this.#tls, this.#timeoutMs);
      if (this.#closed || config.version === this.#version) return;
      this.#version = config.version;
      this.#apply(config);
      try {
        this.#settings.onChange?.(config.servers.map(formatAddress), config.version);
      } catch {
        // A listener that throws changes nothing.
      }
    } finally {
      this.#polling = false;
    }
  }

  #report(error: unknown): void {
    try {
      this.#settings.onError?.(error);
    } catch {
      // A listener that throws changes nothing.
    }
  }
}
