import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distinctText } from '../src/curves/distinct-text.js';
import { LatencyBuckets, summarize } from '../src/curves/latency-buckets.js';
import { ratioSeries } from '../src/curves/output.js';
import { curveSettings } from '../src/curves/settings.js';

test('distinctText is exactly the size asked, differs per seed, and is the same for the same seed', () => {
  for (const size of [1, 5, 100, 316, 65_536]) assert.equal(distinctText(size, 7).length, size);
  assert.notEqual(distinctText(1024, 1), distinctText(1024, 2));
  assert.equal(distinctText(1024, 3), distinctText(1024, 3));
});

test('summarize takes nearest-rank percentiles; buckets group by completion time and count failures', () => {
  const latencies = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.deepEqual(summarize(latencies), { count: 200, p50: 100, p99: 198, max: 200 });
  assert.deepEqual(summarize([]), { count: 0, p50: 0, p99: 0, max: 0 });
  const buckets = new LatencyBuckets(250, 10_000);
  buckets.record(10_010, 3, true);
  buckets.record(10_600, 9, false);
  buckets.fail(10_700);
  assert.deepEqual(
    buckets.buckets.map((b) => [b.startS, b.latenciesMs, b.failures]),
    [
      [0, [3], 0],
      [0.25, [], 0],
      [0.5, [9], 2],
    ],
  );
});

test('ratioSeries divides each series by the baseline at the same x and adds a dashed 1.0x line', () => {
  const ratios = ratioSeries(
    [
      { name: 'plain', points: [[1, 100], [4, 50]] },
      { name: 'hit', points: [[1, 120], [4, 25]] },
    ],
    'plain',
  );
  assert.deepEqual(ratios[0], { name: 'hit / plain', points: [[1, 1.2], [4, 0.5]] });
  assert.deepEqual(ratios[1], { name: '1.0x: as fast as the plain', points: [[1, 1], [4, 1]], dashed: true });
});

test('curveSettings: quick mode shortens the run and writes outside bench/plots; a bad number is refused', () => {
  const full = curveSettings({});
  const quick = curveSettings({ LARDER_BENCH_QUICK: '1' });
  assert.ok(quick.durationS < full.durationS && quick.rounds <= full.rounds && quick.failoverS < full.failoverS);
  assert.match(full.plotsDir, /bench[/\\]plots$/);
  assert.doesNotMatch(quick.plotsDir, /bench[/\\]plots$/);
  assert.equal(curveSettings({ LARDER_BENCH_DURATION: '2', LARDER_BENCH_PLOTS: '/tmp/x' }).durationS, 2);
  assert.throws(() => curveSettings({ LARDER_BENCH_ROUNDS: 'three' }), /LARDER_BENCH_ROUNDS must be a positive number/);
});
