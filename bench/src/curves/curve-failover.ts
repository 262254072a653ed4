import { Agent } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemcachedServer } from '@larder/testing';
import { startServerProcess } from '../server-process.js';
import { pacedLoad } from './paced-load.js';
import { LatencyBuckets, summarize, type Bucket, type LatencySummary } from './latency-buckets.js';
import { runDescription, whole, writeCurve } from './output.js';
import type { Marker } from '../plot/svg-chart.js';
import type { CurveSettings } from './settings.js';

const NODES = 3;
const KILLED = 1;
const IDS = 300;
const BUCKET_MS = 250;
const WARMUP_MS = 3000;
/** Connections the load keeps open at most. */
const CONNECTIONS = 50;
/** Offered load, paced evenly: well under saturation, so latency shows the failover rather than queueing. */
const RATE = 2000;

interface NodeEvent {
  at: number;
  server: string;
  state: 'dead' | 'alive';
  flushed: boolean;
}

/**
 * p50 and p99 latency per 250 ms of view hits on a ring of 3 memcached nodes (no near cache;
 * 300 pages spread over the ring) at a fixed offered rate, while one node is killed (SIGKILL) a
 * third of the way in and started again, empty, on the same port two thirds of the way in.
 * The load is paced (open loop), after 3 s of the same load unrecorded.
 */
export async function curveFailover(settings: CurveSettings): Promise<void> {
  const servers = await Promise.all(Array.from({ length: NODES }, () => MemcachedServer.start()));
  const eventsFile = join(mkdtempSync(join(tmpdir(), 'larder-failover-')), 'node-events.jsonl');
  writeFileSync(eventsFile, '');
  const server = await startServerProcess<{ app: number }>(new URL('./failover-server.ts', import.meta.url), {
    BENCH_MEMCACHED: servers.map((s) => s.address).join(','),
    BENCH_NODE_EVENTS: eventsFile,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    const base = `http://127.0.0.1:${server.ports.app}`;
    for (let id = 0; id < IDS; id++) await (await fetch(`${base}/item/${id}`)).arrayBuffer();
    // The same load, unrecorded, until the server's code is compiled and the connections are open.
    await pacedLoad({ url: (i) => `${base}/item/${i % IDS}`, rate: RATE, durationMs: WARMUP_MS, agent, onResponse: () => {}, onError: () => {} });
    const durationMs = settings.failoverS * 1000;
    const startMs = Date.now();
    const buckets = new LatencyBuckets(BUCKET_MS, startMs);
    const load = pacedLoad({
      url: (i) => `${base}/item/${i % IDS}`,
      rate: RATE,
      durationMs,
      agent,
      onResponse: (nowMs, latencyMs, ok) => buckets.record(nowMs, latencyMs, ok),
      onError: (nowMs) => buckets.fail(nowMs),
    });
    const victim = servers[KILLED]!;
    const chaos = (async () => {
      await sleep(durationMs / 3);
      const killS = (Date.now() - startMs) / 1000;
      await victim.kill();
      await sleep(Math.max(0, startMs + (2 * durationMs) / 3 - Date.now()));
      const restartS = (Date.now() - startMs) / 1000;
      await victim.restart();
      return { killS, restartS };
    })();
    const [{ sent }, { killS, restartS }] = await Promise.all([load, chaos]);
    const events = readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as NodeEvent);
    const markers: Marker[] = [
      { x: killS, label: `SIGKILL ${victim.address}` },
      { x: restartS, label: 'restarted (empty)' },
      ...events.map((e) => ({ x: (e.at - startMs) / 1000, label: e.state === 'dead' ? 'out of the ring' : `back in the ring${e.flushed ? ' (flushed)' : ''}` })),
    ];
    const series = buckets.buckets.filter((b) => b.startS < settings.failoverS).map((b) => ({ t: b.startS + BUCKET_MS / 2000, ...rounded(summarize(b.latenciesMs)), failures: b.failures }));
    const phase = (name: string, from: number, to: number) => {
      const inPhase = buckets.buckets.filter((b) => b.startS >= from && b.startS < to);
      const s = summarize(inPhase.flatMap((b) => b.latenciesMs));
      const failures = inPhase.reduce((sum, b: Bucket) => sum + b.failures, 0);
      return [name, whole(s.count), ms(s.p50), ms(s.p99), ms(s.max), whole(failures)];
    };
    const worst = series.reduce((a, b) => (b.p99 > a.p99 ? b : a), series[0]!);
    writeCurve(
      settings,
      'curve-failover',
      {
        title: 'Latency of view hits through a memcached node kill and its rejoin',
        subtitle: `3 nodes, no near cache, ${RATE} req/s paced evenly (at most ${CONNECTIONS} connections), per ${BUCKET_MS} ms; ${runDescription(settings)}`,
        x: { label: 'time', unit: 's', min: 0, max: settings.failoverS },
        y: { label: 'latency', unit: 'ms', log: true },
        series: [
          { name: 'p99', points: series.filter((s) => s.count > 0).map((s) => [s.t, s.p99] as [number, number]) },
          { name: 'p50', points: series.filter((s) => s.count > 0).map((s) => [s.t, s.p50] as [number, number]) },
          { name: 'max', points: series.filter((s) => s.count > 0).map((s) => [s.t, s.max] as [number, number]), dashed: true },
        ],
        markers,
      },
      {
        columns: ['phase', 'responses', 'p50', 'p99', 'max', 'failed (non-2xx, errors)'],
        rows: [
          phase(`before the kill (0-${killS.toFixed(1)} s)`, 0, killS),
          phase(`node down (${killS.toFixed(1)}-${restartS.toFixed(1)} s)`, killS, restartS),
          phase(`after the restart (${restartS.toFixed(1)} s-end)`, restartS, Infinity),
          [`worst ${BUCKET_MS} ms (at ${worst.t.toFixed(2)} s)`, whole(worst.count), ms(worst.p50), ms(worst.p99), ms(worst.max), whole(worst.failures)],
        ],
      },
      { bucketMs: BUCKET_MS, rate: RATE, connections: CONNECTIONS, killS, restartS, nodeEvents: events.map((e) => ({ ...e, atS: (e.at - startMs) / 1000 })), buckets: series, sent },
    );
  } finally {
    agent.destroy();
    server.stop();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function rounded(summary: LatencySummary): LatencySummary {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { count: summary.count, p50: round(summary.p50), p99: round(summary.p99), max: round(summary.max) };
}
