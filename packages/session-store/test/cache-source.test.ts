import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cacheSourceConformance } from '@larder/core/conformance';
import { importSecondCopy, MemcachedServer } from '@larder/testing';
import { MemcachedStore, type MemcachedStoreSource } from '../src/index.js';
import { randomSessionId } from './helpers.js';

const quiet = { warn: () => {} };
const coreDir = fileURLToPath(new URL('../../core', import.meta.url));
const session = { cookie: { maxAge: 60_000 } };

cacheSourceConformance('the session store takes every form of cache source (openCacheSource)', {
  form: 'source',
  open: (source) => {
    const store = new MemcachedStore(source as MemcachedStoreSource, { logger: quiet });
    return {
      cache: store.cache,
      use: async () => {
        const id = randomSessionId();
        await store.setSession(id, session);
        assert.notEqual(await store.getSession(id), null);
      },
      close: () => store.close(),
    };
  },
  startMemcached: () => MemcachedServer.start(),
  importSecondCopy: () => importSecondCopy(coreDir),
});
