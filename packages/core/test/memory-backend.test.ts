import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBackend } from '../src/index.js';
import { backendConformance } from '../src/conformance.js';

backendConformance('MemoryBackend', async () => {
  let now = 1_000_000;
  return {
    backend: new MemoryBackend({ now: () => now }),
    fakeClock: true,
    advance: async (seconds) => {
      now += seconds * 1000;
    },
    dispose: async () => {},
  };
});

describe('MemoryBackend bounds', () => {
  const item = (size: number) => ({ value: Buffer.alloc(size), flags: 0 });

  it('keeps at most maxItems, dropping the least recently used', async () => {
    const backend = new MemoryBackend({ maxItems: 3 });
    for (const key of ['a', 'b', 'c']) await backend.set(key, item(1), 0);
    await backend.get('a');
    await backend.set('d', item(1), 0);
    assert.deepEqual([...(await backend.getMany(['a', 'b', 'c', 'd'])).keys()].sort(), ['a', 'c', 'd']);
  });

  it('keeps at most maxBytes', async () => {
    const backend = new MemoryBackend({ maxBytes: 10_000 });
    for (let i = 0; i < 100; i++) await backend.set(`k${i}`, item(1000), 0);
    const kept = await backend.getMany(Array.from({ length: 100 }, (_, i) => `k${i}`));
    assert.ok(kept.size > 0 && kept.size <= 10, `kept ${kept.size}`);
    assert.ok(kept.has('k99'), 'the newest survives');
  });

  it('rejects bad bounds with a message naming the option', () => {
    assert.throws(() => new MemoryBackend({ maxItems: 0 }), { code: 'E_INVALID_OPTION', message: /maxItems/ });
    assert.throws(() => new MemoryBackend({ maxBytes: -1 }), { code: 'E_INVALID_OPTION', message: /maxBytes/ });
  });

  it('a closed backend rejects with E_CLOSED', async () => {
    const backend = new MemoryBackend();
    await backend.close();
    await assert.rejects(backend.get('x'), { code: 'E_CLOSED' });
  });
});
