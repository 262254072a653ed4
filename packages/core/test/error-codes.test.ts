import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, FlagSerializer, InvalidArgumentError, InvalidOptionError, LarderError, MemoryBackend, parseTtlOption } from '../src/index.js';
import { checkValueSize } from '../src/backends/check-value-size.js';
import { MemcachedBackend } from '../src/backends/memcached/memcached-backend.js';
import { CHUNKED_FLAG } from '../src/backends/memcached/chunked-values.js';

const PACKAGES = join(import.meta.dirname, '../..');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('every error a package throws is a LarderError with a code', () => {
  it('no package source throws a plain Error, TypeError or RangeError', () => {
    const offenders: string[] = [];
    // @larder/testing is left out: it is test infrastructure with no dependency on core, and its
    // errors say a memcached could not be started, never something a cache call did.
    for (const pkg of readdirSync(PACKAGES).filter((name) => name !== 'testing')) {
      const src = join(PACKAGES, pkg, 'src');
      let files: string[];
      try {
        files = sources(src);
      } catch {
        continue;
      }
      for (const file of files) {
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (/\bthrow new (Error|TypeError|RangeError)\(|\bnew (TypeError|RangeError)\(/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('an undecodable value is a miss whose error, and its cause, are coded', async () => {
    const serializer = new FlagSerializer();
    assert.throws(
      () => serializer.decode('k', { value: Buffer.from('x'), flags: 1 }),
      (error: unknown) => error instanceof LarderError && error.code === 'E_DESERIALIZE' && error.cause instanceof LarderError && error.cause.code === 'E_DESERIALIZE',
    );
    assert.throws(
      () => serializer.decode('k', { value: Buffer.from('12a'), flags: 4 }),
      (error: unknown) => error instanceof LarderError && error.cause instanceof LarderError,
    );
  });

  it('one value-size check: both backends refuse with E_VALUE_TOO_LARGE', async () => {
    assert.throws(() => checkValueSize('k', { value: Buffer.alloc(11), flags: 0 }, 10), { code: 'E_VALUE_TOO_LARGE', message: /11 bytes.*10 bytes/ });
    checkValueSize('k', { value: Buffer.alloc(10), flags: 0 }, 10);
    const memory = new MemoryBackend({ maxValueSize: 10 });
    await assert.rejects(memory.set('k', { value: Buffer.alloc(11), flags: 0 }, 0), { code: 'E_VALUE_TOO_LARGE' });
  });
});

describe('one TTL-option helper', () => {
  it('parseTtlOption reads seconds and durations, and names the option (and where) when it cannot', () => {
    assert.equal(parseTtlOption('ttl', '5m'), 300);
    assert.equal(parseTtlOption('ttl', 0), 0);
    assert.throws(
      () => parseTtlOption('config.cache.ttl', 'soon', 'route /x'),
      (error: unknown) =>
        error instanceof InvalidOptionError && error.code === 'E_INVALID_OPTION' && /"config\.cache\.ttl".*\(route \/x\)$/.test(error.message) && error.cause instanceof InvalidArgumentError,
    );
  });

  it('Cache defaultTtl and MemcachedBackend failoverTtl use it', () => {
    assert.throws(() => new Cache({ backend: new MemoryBackend(), defaultTtl: -1 }), (error: unknown) => error instanceof InvalidOptionError && /"defaultTtl"/.test(error.message) && error.cause instanceof InvalidArgumentError);
    assert.throws(
      () => new MemcachedBackend({ servers: '127.0.0.1:1', failoverTtl: 'soon' as never }),
      (error: unknown) => error instanceof InvalidOptionError && /"failoverTtl"/.test(error.message) && error.cause instanceof InvalidArgumentError,
    );
    assert.throws(() => new MemcachedBackend({ servers: '127.0.0.1:1', failoverTtl: 0 }), { code: 'E_INVALID_OPTION', message: /failoverTtl.*1 s to 30 days/ });
  });
});

describe('a foreign value with the chunk flag', () => {
  let server: MemcachedServer;
  let backend: MemcachedBackend;
  before(async () => {
    server = await MemcachedServer.start();
    backend = new MemcachedBackend({ servers: server.address });
  });
  after(async () => {
    await backend.close();
    await server.stop();
  });

  it('is an E_DESERIALIZE error whose cause is coded too', async () => {
    await backend.set('foreign', { value: Buffer.from('larder-chunks:{"nope":1}'), flags: CHUNKED_FLAG }, 0);
    await assert.rejects(backend.get('foreign'), (error: unknown) => error instanceof LarderError && error.code === 'E_DESERIALIZE' && error.cause instanceof LarderError && error.cause.code === 'E_DESERIALIZE');
  });
});
