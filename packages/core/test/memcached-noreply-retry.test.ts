import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { ConnectionError, MemcachedBackend, NodeDeadError, TimeoutError, type Backend } from '../src/index.js';
import { RetryingBackend } from '../src/memcached.js';

const item = (text: string) => ({ value: Buffer.from(text), flags: 0 });

for (const protocol of ['binary', 'meta'] as const) {
  describe(`noreply writes (${protocol})`, () => {
    let server: MemcachedServer;
    before(async () => {
      server = await MemcachedServer.start();
    });
    after(() => server.stop());

    it('set and delete resolve before the answer; the process reads its own writes; failures are told', async () => {
      const failures: Array<[unknown, string]> = [];
      const backend = new MemcachedBackend({ servers: server.address, protocol, noreply: true, onNoreplyError: (error, op) => failures.push([error, op]) });
      try {
        assert.equal(await backend.set('nr', item('one'), 60), true);
        assert.equal((await backend.get('nr'))?.value.toString(), 'one');
        assert.equal(await backend.delete('nr'), true);
        assert.equal(await backend.get('nr'), undefined);
        // A delete of nothing is still true ("sent"): the contract says so.
        assert.equal(await backend.delete('never-there'), true);
        assert.deepEqual(await backend.setMany([['a', item('1')], ['b', item('2')]], 60), []);
        assert.equal((await backend.getMany(['a', 'b'])).size, 2);
        // add keeps its answer: locks rely on it.
        assert.equal(await backend.add('a', item('x'), 60), false);
        assert.deepEqual(failures, []);
        server.pause();
        assert.equal(await backend.set('lost', item('?'), 60), true);
        await new Promise((resolve) => setTimeout(resolve, 800));
        server.resume();
        assert.equal(failures.length, 1);
        assert.equal(failures[0]![1], 'set');
        assert.ok((failures[0]![0] as object) instanceof TimeoutError);
      } finally {
        server.resume();
        await backend.close();
      }
    });
  });
}

/** A real backend with faults injected in front of chosen calls. */
function flaky(backend: Backend, faults: Partial<Record<keyof Backend, Error[]>>, calls: string[]): Backend {
  return new Proxy(backend, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        const fault = faults[name as keyof Backend]?.shift();
        if (fault) return Promise.reject(fault);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('RetryingBackend', () => {
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(() => server.stop());

  it('retries idempotent calls on timeouts and resets, never a timed-out incr, add or cas', async () => {
    const real = new MemcachedBackend({ servers: server.address });
    const calls: string[] = [];
    const timeout = () => new TimeoutError(server.address, 500);
    const reset = () => new ConnectionError(server.address, 'ECONNRESET', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    const backend = new RetryingBackend(flaky(real, { get: [timeout()], set: [reset()], incr: [timeout()], add: [reset()], delete: [timeout(), timeout()] }, calls), { attempts: 2, delay: 1 });
    try {
      assert.equal(await backend.set('r', item('5'), 60), true);
      assert.equal((await backend.get('r'))?.value.toString(), '5');
      await assert.rejects(backend.incr('r', 1n), { code: 'E_TIMEOUT' });
      await assert.rejects(backend.add('r2', item('x'), 60), { code: 'E_CONNECTION' });
      await assert.rejects(backend.delete('r'), { code: 'E_TIMEOUT' });
      assert.deepEqual(calls, ['set', 'set', 'get', 'get', 'incr', 'add', 'delete', 'delete']);
      assert.equal((await real.get('r'))?.value.toString(), '5', 'the timed-out incr was not repeated');
    } finally {
      await backend.close();
    }
  });

  it('retries a non-idempotent call only when it was never sent (node dead, connection refused)', async () => {
    const real = new MemcachedBackend({ servers: server.address });
    const calls: string[] = [];
    const refused = new ConnectionError(server.address, 'ECONNREFUSED', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    const backend = new RetryingBackend(flaky(real, { incr: [new NodeDeadError(server.address)], add: [refused] }, calls), { attempts: 3, delay: '1ms' });
    try {
      await real.set('n', item('1'), 60);
      assert.equal(await backend.incr('n', 1n), 2n);
      assert.equal(await backend.add('n2', item('x'), 60), true);
      assert.deepEqual(calls, ['incr', 'incr', 'add', 'add']);
    } finally {
      await backend.close();
    }
  });

  it('unknown option names are E_INVALID_OPTION naming the known ones', () => {
    const real = new MemcachedBackend({ servers: server.address });
    assert.throws(() => new RetryingBackend(real, { tries: 3 } as never), /tries.*attempts/s);
    assert.throws(() => new MemcachedBackend({ servers: server.address, noReply: true } as never), /noReply.*noreply/s);
  });
});
