import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { cacheSourceConformance } from '@larder/core/conformance';
import { request } from '@larder/http/conformance';
import { importSecondCopy, MemcachedServer } from '@larder/testing';
import express from 'express';
import { cacheResponse, larder, type ExpressAppLike } from '../src/index.js';
import { listen, quiet, stored } from './build-app.js';

const coreDir = fileURLToPath(new URL('../../core', import.meta.url));

// The source's fields sit in larder(app, options) beside its own (logger, setDefault), which are not the cache's.
cacheSourceConformance('larder(app) takes every form of cache source (openCacheSource)', {
  form: 'adapter options',
  open: async (source) => {
    const app = express();
    const installed = larder(app as unknown as ExpressAppLike, { ...(source as object), logger: quiet, setDefault: false });
    app.get('/', cacheResponse(), (_request, response) => void response.send(randomUUID()));
    const server = await listen(app as unknown as ExpressAppLike);
    return {
      cache: installed.cache,
      use: async () => {
        const first = await request(server.base, '/', {});
        await stored(installed.cache, '/');
        const second = await request(server.base, '/', {});
        assert.equal(second.headers['x-cache'], 'HIT');
        assert.equal(second.text, first.text);
      },
      close: async () => {
        await server.close();
        await installed.close();
      },
    };
  },
  startMemcached: () => MemcachedServer.start(),
  importSecondCopy: () => importSecondCopy(coreDir),
});
