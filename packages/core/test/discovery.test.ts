import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, ClusterConfigError, LarderError, MemcachedBackend } from '../src/index.js';
import { parseClusterConfig } from '../src/backends/memcached/cluster-config.js';
import { clusterAnswer, FakeConfigEndpoint } from './fake-config-endpoint.js';

/** Values a callback was given, awaited in order: a test waits for the event, never a guess of time. */
function channel<T>() {
  const queued: T[] = [];
  const waiting: Array<(value: T) => void> = [];
  return {
    push: (value: T) => (waiting.length > 0 ? waiting.shift()!(value) : queued.push(value)),
    get queued(): number {
      return queued.length;
    },
    next: (): Promise<T> => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

const code = (expected: string) => (error: unknown) => error instanceof LarderError && error.code === expected;

describe('ElastiCache-style node discovery (config get cluster), a fake configuration endpoint in front of real memcached nodes', () => {
  let nodes: MemcachedServer[];
  const closing: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(thing: T): T => {
    closing.push(thing);
    return thing;
  };
  before(async () => {
    nodes = await Promise.all([MemcachedServer.start(), MemcachedServer.start()]);
  });
  after(async () => {
    await Promise.all(closing.map((thing) => ('close' in thing ? thing.close() : thing.stop())));
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('connect() waits for the list; an added node takes its share of keys, a removed one gives its keys back, no call fails', async () => {
    const [one, two] = nodes as [MemcachedServer, MemcachedServer];
    const endpoint = track(await FakeConfigEndpoint.start());
    endpoint.serve(1, [one.port]);
    const changes = channel<[readonly string[], number]>();
    const errors = channel<unknown>();
    const backend = new MemcachedBackend({ discovery: { configEndpoint: endpoint.address, interval: 20, onChange: (servers, version) => changes.push([servers, version]), onError: errors.push } });
    const cache = track(new Cache({ backend, ignoreErrors: false }));
    await cache.connect();
    assert.deepEqual(await changes.next(), [[`127.0.0.1:${one.port}`], 1]);
    const onOne = track(new MemcachedBackend({ servers: one.address }));
    const onTwo = track(new MemcachedBackend({ servers: two.address }));
    const keys = Array.from({ length: 40 }, (_, i) => `discovered-${i}`);
    for (const key of keys) assert.equal(await cache.set(key, key), true);
    assert.equal((await onOne.getMany(keys)).size, 40, 'every key on the one node listed');

    endpoint.serve(2, [one.port, two.port]);
    assert.deepEqual(await changes.next(), [[`127.0.0.1:${one.port}`, `127.0.0.1:${two.port}`], 2]);
    const hits = await Promise.all(keys.map((key) => cache.get(key)));
    const movedKeys = keys.filter((_, i) => hits[i] === undefined);
    assert.ok(movedKeys.length > 0 && movedKeys.length < 40, `the new node owns some keys (${movedKeys.length} of 40 moved)`);
    for (const key of movedKeys) await cache.set(key, `${key} again`);
    assert.deepEqual([...(await onTwo.getMany(keys)).keys()].sort(), [...movedKeys].sort(), 'written where the ring now says');
    assert.deepEqual(backend.serverStates().map((state) => state.server), [`127.0.0.1:${one.port}`, `127.0.0.1:${two.port}`]);

    endpoint.serve(3, [two.port]);
    assert.deepEqual(await changes.next(), [[`127.0.0.1:${two.port}`], 3]);
    for (const key of movedKeys) assert.equal(await cache.get(key), `${key} again`, 'keys of the remaining node still hit');
    for (const key of keys.filter((key) => !movedKeys.includes(key))) assert.equal(await cache.get(key), undefined, 'keys of the removed node re-route (a miss)');
    assert.equal(await cache.set('after-removal', 1), true);
    assert.equal((await onTwo.get('after-removal')) !== undefined, true);
    assert.equal((await onOne.get('after-removal')) === undefined, true);
  });

  it('the same version again changes nothing; a poll that fails keeps the last list and goes to onError', async () => {
    const [one] = nodes as [MemcachedServer];
    const endpoint = track(await FakeConfigEndpoint.start());
    endpoint.serve(7, [one.port]);
    const changes = channel<number>();
    const errors = channel<unknown>();
    const backend = new MemcachedBackend({ discovery: { configEndpoint: endpoint.address, interval: 20, onChange: (_servers, version) => changes.push(version), onError: errors.push }, connectTimeout: 200 });
    const cache = track(new Cache({ backend, ignoreErrors: false }));
    await cache.connect();
    assert.equal(await changes.next(), 7);
    // Polls run one at a time: when the second request comes, the answer to the first was applied.
    await endpoint.asked();
    await endpoint.asked();
    assert.equal(changes.queued, 0, 'version 7 again: no rebuild');
    endpoint.mode = { kind: 'raw', answer: 'CONFIG cluster 0 3\r\nxyz\r\nEND\r\n' };
    const malformed = await errors.next();
    assert.ok(malformed instanceof ClusterConfigError && malformed.code === 'E_SERVER', String(malformed));
    endpoint.mode = { kind: 'silent' };
    let silent = await errors.next();
    while (silent instanceof ClusterConfigError) silent = await errors.next();
    assert.ok(code('E_TIMEOUT')(silent), String(silent));
    await endpoint.stop();
    let refused = await errors.next();
    while (!code('E_CONNECTION')(refused)) refused = await errors.next();
    assert.equal(await cache.set('kept', 'yes'), true, 'the last list still serves');
    assert.equal(await cache.get('kept'), 'yes');
  });

  it('an unreachable endpoint is E_CONNECTION, a silent one E_TIMEOUT, both within connectTimeout; calls before a list fail typed', async () => {
    const gone = await FakeConfigEndpoint.start();
    const address = gone.address;
    await gone.stop();
    const refused = track(new MemcachedBackend({ discovery: { configEndpoint: address, onError: () => {} }, connectTimeout: 300 }));
    await assert.rejects(refused.connect(), (error: unknown) => code('E_CONNECTION')(error) && (error as Error).message.includes(address));

    const silent = track(await FakeConfigEndpoint.start());
    const waiting = track(new MemcachedBackend({ discovery: { configEndpoint: silent.address, onError: () => {} }, connectTimeout: 300 }));
    await assert.rejects(waiting.get('k'), (error: unknown) => code('E_CONNECTION')(error) && (error as Error).message.includes('no memcached node is known yet'));
    const started = performance.now();
    await assert.rejects(waiting.connect(), code('E_TIMEOUT'));
    const took = performance.now() - started;
    assert.ok(took < 300 + 1000, `rejected after ${Math.round(took)} ms`);
  });

  it('a malformed answer at start: connect() rejects with ClusterConfigError (E_SERVER), never a crash', async () => {
    const endpoint = track(await FakeConfigEndpoint.start());
    const answers = [
      'ERROR\r\n',
      'CONFIG cluster 0 5\r\nab\nc\n\r\nEND\r\n',
      clusterAnswer(1, ['host|127.0.0.1']),
      clusterAnswer(1, ['host|127.0.0.1|99999']),
      clusterAnswer(1, []),
      'CONFIG cluster 0 10\r\nnot-a-num\n\r\nEND\r\n',
      'VALUE x 0 1\r\n\0\r\nEND\r\n',
    ];
    for (const answer of answers) {
      endpoint.mode = { kind: 'raw', answer };
      const backend = track(new MemcachedBackend({ discovery: { configEndpoint: endpoint.address, onError: () => {} }, connectTimeout: 300 }));
      await assert.rejects(backend.connect(), (error: unknown) => error instanceof ClusterConfigError && error.code === 'E_SERVER', JSON.stringify(answer));
    }
  });

  it('parses the answer ElastiCache documents: the IP when given, else the host name; an incomplete answer waits for more', () => {
    const answer = Buffer.from(clusterAnswer(12, ['mycluster.0001.cache.amazonaws.com|10.82.235.120|11211', 'mycluster.0002.cache.amazonaws.com||11212']));
    assert.deepEqual(parseClusterConfig(answer, 'cfg'), {
      version: 12,
      servers: [
        { host: '10.82.235.120', port: 11211, weight: 1 },
        { host: 'mycluster.0002.cache.amazonaws.com', port: 11212, weight: 1 },
      ],
    });
    assert.equal(parseClusterConfig(answer.subarray(0, answer.length - 3), 'cfg'), undefined);
    assert.equal(parseClusterConfig(answer.subarray(0, 10), 'cfg'), undefined);
  });

  it('checks its options: no servers and no discovery, a misspelt name, an endpoint that is not host:port', () => {
    assert.throws(() => new MemcachedBackend({} as never), code('E_INVALID_OPTION'));
    assert.throws(() => new MemcachedBackend({ discovery: { configEndpoint: '127.0.0.1:1', intervall: 5 } as never }), (error: unknown) => code('E_INVALID_OPTION')(error) && (error as Error).message.includes('discovery.intervall'));
    assert.throws(() => new MemcachedBackend({ discovery: {} as never }), code('E_INVALID_OPTION'));
    assert.throws(() => new MemcachedBackend({ discovery: { configEndpoint: '/run/cfg.sock' } }), code('E_INVALID_OPTION'));
    assert.throws(() => new MemcachedBackend({ discovery: { configEndpoint: 'a:1,b:2' } }), code('E_INVALID_OPTION'));
  });
});
