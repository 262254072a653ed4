import { get, type Agent } from 'node:http';

/** An open-loop load: `rate` requests per second, spread evenly, for `durationMs`. */
export interface PacedLoadOptions {
  /** The URL of request number `i`. */
  readonly url: (i: number) => string;
  readonly rate: number;
  readonly durationMs: number;
  /** The keep-alive agent to send through; its maxSockets bounds the open connections (requests beyond wait, and the wait counts in their latency). */
  readonly agent: Agent;
  /** A request that fails without a response after this long is abandoned (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Told of every response: when it completed, its latency from when it was due, and whether it was 2xx. */
  onResponse(nowMs: number, latencyMs: number, ok: boolean): void;
  /** Told of every request that ended without a response (reset, refused, timed out). */
  onError(nowMs: number): void;
}

/**
 * Sends requests at a steady rate regardless of how fast answers come (unlike a closed loop of
 * connections, or a per-second burst), so a slow moment shows as latency, not as fewer requests.
 * Latency counts from the moment a request was due. Resolves when every request has settled.
 */
export function pacedLoad(options: PacedLoadOptions): Promise<{ sent: number }> {
  const { agent } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const start = performance.now();
  const perMs = options.rate / 1000;
  let sent = 0;
  let pending = 0;
  return new Promise((resolve) => {
    const finish = () => {
      if (pending === 0 && sent >= Math.floor(options.durationMs * perMs)) {
        resolve({ sent });
      }
    };
    const send = (i: number, dueMs: number) => {
      pending++;
      let settled = false;
      const settle = (ok: boolean | undefined) => {
        if (settled) return;
        settled = true;
        pending--;
        if (ok === undefined) options.onError(Date.now());
        else options.onResponse(Date.now(), performance.now() - dueMs, ok);
        finish();
      };
      const request = get(options.url(i), { agent }, (response) => {
        response.resume();
        response.once('end', () => settle(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300));
        response.once('error', () => settle(undefined));
      });
      request.setTimeout(timeoutMs, () => request.destroy());
      request.once('error', () => settle(undefined));
    };
    const timer = setInterval(() => {
      const elapsed = Math.min(performance.now() - start, options.durationMs);
      const due = Math.floor(elapsed * perMs);
      while (sent < due) {
        send(sent, start + sent / perMs);
        sent++;
      }
      if (elapsed >= options.durationMs) {
        clearInterval(timer);
        finish();
      }
    }, 1);
  });
}
