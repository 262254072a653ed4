import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InvalidOptionError, LarderError } from '@larder/core';
import { encodeSession } from '../src/index.js';
import { resolveStoreOptions } from '../src/options.js';

it('encodeSession refuses what is not a session with a coded E_INVALID_ARGUMENT error', () => {
  const cyclic: Record<string, unknown> = { cookie: {} };
  cyclic.self = cyclic;
  for (const bad of [null, 'text', {}, { cookie: 1 }, cyclic, { cookie: {}, n: 1n }]) {
    assert.throws(() => encodeSession(bad as never), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_ARGUMENT');
  }
});

it('a bad ttl option is an InvalidOptionError from the shared TTL-option helper, keeping its cause', () => {
  assert.throws(
    () => resolveStoreOptions({ ttl: 'soon' as never }),
    (error: unknown) => error instanceof InvalidOptionError && /^Invalid option "ttl": ttl must be/.test(error.message) && error.cause instanceof LarderError,
  );
});
