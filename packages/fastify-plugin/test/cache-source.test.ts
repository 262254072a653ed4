import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { cacheSourceConformance } from '@larder/core/conformance';
import { importSecondCopy, MemcachedServer } from '@larder/testing';
import Fastify from 'fastify';
import larder from '../src/index.js';
import { quiet } from './build-app.js';

const coreDir = fileURLToPath(new URL('../../core', import.meta.url));

// The source's fields sit in the register options; a given Cache takes no logger beside it.
cacheSourceConformance('the plugin takes every form of cache source (openCacheSource)', {
  form: 'adapter options',
  open: async (source) => {
    const app = Fastify();
    try {
      await app.register(larder, ('cache' in source ? source : { logger: quiet, ...source }) as never);
    } catch (error) {
      await app.close().catch(() => {});
      throw error;
    }
    app.get('/', { config: { cache: true } }, async () => ({ at: randomUUID() }));
    await app.ready();
    return {
      cache: app.cache,
      use: async () => {
        const first = await app.inject('/');
        const second = await app.inject('/');
        assert.equal(second.headers['x-cache'], 'HIT');
        assert.equal(second.body, first.body);
      },
      close: () => app.close(),
    };
  },
  startMemcached: () => MemcachedServer.start(),
  importSecondCopy: () => importSecondCopy(coreDir),
});
