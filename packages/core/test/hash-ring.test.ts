import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashRing, oneAtATime, parseServerList } from '../src/memcached.js';

function ring(servers: string): HashRing<number> {
  return new HashRing(parseServerList(servers).map((address, i) => ({ address, node: i })));
}
const keys = Array.from({ length: 20_000 }, (_, i) => `user:${i}:profile`);

describe('KETAMA ring (libmemcached / pylibmc ketama: True)', () => {
  // Placements read back from real pylibmc 1.6.3 / libmemcached 1.1.4 (mc.hash and per-node gets).
  const vectors: Array<[string, string, number, number]> = [
    ['127.0.0.1:21211,127.0.0.1:21212,127.0.0.1:21213', 'key:0', 3235172033, 0],
    ['127.0.0.1:21211,127.0.0.1:21212,127.0.0.1:21213', 'user/1/profile', 181850249, 2],
    ['127.0.0.1:21211,127.0.0.1:21212,127.0.0.1:21213', 'foo', 596015325, 2],
    ['127.0.0.1:21211:1,127.0.0.1:21212:2,127.0.0.1:21213:1', 'ключ-2', 804319256, 1],
    ['127.0.0.1:21211:1,127.0.0.1:21212:2,127.0.0.1:21213:1', 'foo', 596015325, 2],
    ['127.0.0.1:21211,127.0.0.1:11211,127.0.0.1:21213', '日本語3', 1010826770, 2],
    ['127.0.0.1:11211:3,127.0.0.1:21212:1,localhost:21213:2', 'sess_1f0f', 528432920, 0],
  ];
  for (const [servers, key, hash, index] of vectors) {
    it(`places ${JSON.stringify(key)} on server ${index} of ${servers}`, () => {
      assert.equal(oneAtATime(key), hash);
      assert.equal(ring(servers).nodeFor(key), index);
    });
  }

  it('gives each server a share of keys that follows its weight', () => {
    const weighted = ring('10.0.0.1:11211:1,10.0.0.2:11211:2,10.0.0.3:11211:1');
    const counts = [0, 0, 0];
    for (const key of keys) counts[weighted.nodeFor(key)]!++;
    const shares = counts.map((c) => c / keys.length);
    assert.ok(Math.abs(shares[1]! - 0.5) < 0.08, `weight 2 share ${shares[1]}`);
    assert.ok(Math.abs(shares[0]! - 0.25) < 0.08 && Math.abs(shares[2]! - 0.25) < 0.08, `weight 1 shares ${shares}`);
  });

  it('adding a fourth node to three moves about a quarter of the keys, all to the new node', () => {
    const three = ring('10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11211');
    const four = ring('10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11211,10.0.0.4:11211');
    const moved = keys.filter((key) => three.nodeFor(key) !== four.nodeFor(key));
    const fraction = moved.length / keys.length;
    assert.ok(fraction > 0.15 && fraction < 0.35, `moved ${fraction}`);
    assert.ok(moved.every((key) => four.nodeFor(key) === 3));
  });
});
