import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { Cache } from '@larder/core';
import { MemcachedStore, MIN_SECRET_LENGTH, SEAL_OVERHEAD_BYTES } from '../src/index.js';
import { SEAL_KDF, SessionSeal } from '../src/seal.js';
import { resolveSecrets } from '../src/secrets.js';

const OLD = 'the old secret, at least thirty-two characters long';
const NEW = 'the new secret, at least thirty-two characters long';
const JSON_TEXT = '{"cookie":{"expires":"2031-01-02T03:04:05.000Z","originalMaxAge":86400000,"path":"/"},"user":"ada"}';
const NOW = 2_000_000_000;
const seal = (secrets: string[]) => new SessionSeal(resolveSecrets(secrets));

describe('SessionSeal (AES-256-GCM, HKDF-SHA256 keys)', () => {
  it('opens what it sealed, under the same binding, with the time it is valid until', () => {
    const sealer = seal([NEW]);
    const sealed = sealer.seal(JSON_TEXT, 'sess:abc', NOW + 60);
    assert.deepEqual(sealer.open(sealed, 'sess:abc', NOW), { ok: true, json: JSON_TEXT, sealedUntil: NOW + 60, retiredSecret: false });
    assert.equal(sealed.length, Buffer.byteLength(JSON_TEXT) + SEAL_OVERHEAD_BYTES);
  });

  it('the bytes hold no plaintext, and two seals of the same session differ (a fresh nonce each)', () => {
    const sealer = seal([NEW]);
    const a = sealer.seal(JSON_TEXT, 'sess:abc', 0);
    const b = sealer.seal(JSON_TEXT, 'sess:abc', 0);
    assert.notDeepEqual(a, b);
    for (const part of ['ada', 'cookie', 'expires', '2031', 'user']) assert.equal(a.includes(part), false, part);
  });

  it('the documented layout: "LS", version 1, key id, sealed-until, 24-byte nonce, ciphertext, 16-byte tag', () => {
    const sealed = seal([NEW]).seal(JSON_TEXT, 'sess:abc', NOW);
    assert.equal(sealed.subarray(0, 2).toString('ascii'), 'LS');
    assert.equal(sealed[2], 1);
    const keyId = Buffer.from(hkdfSync('sha256', Buffer.from(NEW), SEAL_KDF.salt, SEAL_KDF.keyIdInfo, 4));
    assert.deepEqual(sealed.subarray(3, 7), keyId);
    assert.equal(sealed.readUInt32BE(7), NOW);
    // Decrypted here from the README's description alone: HKDF seal key, HKDF-Expand message key, AAD = header + binding.
    const sealKey = Buffer.from(hkdfSync('sha256', Buffer.from(NEW), SEAL_KDF.salt, SEAL_KDF.sealKeyInfo, 32));
    const nonce = sealed.subarray(11, 35);
    const messageKey = createHmac('sha256', sealKey).update(SEAL_KDF.messageKeyInfo).update(nonce.subarray(0, 12)).update(Buffer.from([1])).digest();
    const decipher = createDecipheriv('aes-256-gcm', messageKey, nonce.subarray(12), { authTagLength: 16 });
    decipher.setAAD(Buffer.concat([sealed.subarray(0, 35), Buffer.from('sess:abc')]));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    assert.equal(Buffer.concat([decipher.update(sealed.subarray(35, sealed.length - 16)), decipher.final()]).toString(), JSON_TEXT);
  });

  it('does not open under another binding (a sealed value moved to another session id or prefix)', () => {
    const sealer = seal([NEW]);
    const sealed = sealer.seal(JSON_TEXT, 'sess:abc', 0);
    assert.deepEqual(sealer.open(sealed, 'sess:abd', NOW), { ok: false, reason: 'tampered' });
    assert.deepEqual(sealer.open(sealed, 'app2:sess:abc', NOW), { ok: false, reason: 'tampered' });
  });

  it('any one flipped bit, anywhere (header, nonce, ciphertext, tag), and any truncation, does not open', () => {
    const sealer = seal([NEW]);
    const sealed = sealer.seal(JSON_TEXT, 'sess:abc', NOW + 60);
    for (let byte = 0; byte < sealed.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = Buffer.from(sealed);
        changed[byte]! ^= 1 << bit;
        assert.equal(sealer.open(changed, 'sess:abc', NOW).ok, false, `bit ${bit} of byte ${byte}`);
      }
    }
    for (let length = 0; length < sealed.length; length++) assert.equal(sealer.open(sealed.subarray(0, length), 'sess:abc', NOW).ok, false, `first ${length} bytes`);
    assert.equal(sealer.open(Buffer.concat([sealed, Buffer.from([0])]), 'sess:abc', NOW).ok, false, 'one byte appended');
  });

  it('says why a value did not open: not sealed, malformed, unknown secret, tampered, expired', () => {
    const sealer = seal([NEW]);
    const sealed = sealer.seal(JSON_TEXT, 'sess:abc', NOW + 60);
    const reason = (value: unknown, now = NOW) => {
      const opened = sealer.open(value, 'sess:abc', now);
      return opened.ok ? 'opened' : opened.reason;
    };
    assert.equal(reason(JSON_TEXT), 'not-sealed', 'plain JSON text');
    assert.equal(reason(Buffer.from(JSON_TEXT)), 'not-sealed', 'plain JSON bytes');
    assert.equal(reason(42), 'not-sealed');
    assert.equal(reason(Buffer.concat([sealed.subarray(0, 2), Buffer.from([2]), sealed.subarray(3)])), 'malformed', 'version 2');
    assert.equal(reason(sealed.subarray(0, 40)), 'malformed', 'shorter than header and tag');
    assert.equal(reason(seal([OLD]).seal(JSON_TEXT, 'sess:abc', 0)), 'unknown-secret');
    assert.equal(reason(Buffer.concat([sealed.subarray(0, 40), Buffer.alloc(20)])), 'tampered', 'truncated and padded');
    assert.equal(reason(sealed, NOW + 60), 'opened', 'valid up to its second');
    assert.equal(reason(sealed, NOW + 61), 'expired');
  });

  it('rotation: [new, old] opens both and flags the old one as retired; seals with the new one', () => {
    const byOld = seal([OLD]).seal(JSON_TEXT, 'sess:abc', 0);
    const rotated = seal([NEW, OLD]);
    assert.deepEqual(rotated.open(byOld, 'sess:abc', NOW), { ok: true, json: JSON_TEXT, sealedUntil: 0, retiredSecret: true });
    const byNew = rotated.seal(JSON_TEXT, 'sess:abc', 0);
    assert.equal(seal([NEW]).open(byNew, 'sess:abc', NOW).ok, true);
    assert.deepEqual(seal([OLD]).open(byNew, 'sess:abc', NOW), { ok: false, reason: 'unknown-secret' });
  });

  it('a Buffer secret and its UTF-8 text are the same secret', () => {
    const sealed = new SessionSeal(resolveSecrets(Buffer.from(NEW))).seal(JSON_TEXT, 'k', 0);
    assert.equal(seal([NEW]).open(sealed, 'k', NOW).ok, true);
  });
});

describe('the secret option', () => {
  const cache = new Cache({ logger: { warn: () => {} } });
  const bad: Array<[string, unknown, RegExp]> = [
    ['a string of 31 characters', 'x'.repeat(31), /"secret": must be at least 32 characters long, got 31/],
    ['a Buffer of 31 bytes', Buffer.alloc(31, 1), /"secret": must be at least 32 bytes long, got 31/],
    ['an empty list', [], /"secret": must name at least one secret/],
    ['a list with a short second secret', [NEW, 'short secret'], /"secret\[1\]": must be at least 32 characters/],
    ['a number', 42, /"secret": must be a string or a Buffer, got number/],
    ['null', null, /"secret": must be a string or a Buffer, got null/],
  ];
  for (const [what, secret, message] of bad) {
    it(`refuses ${what} at construction (E_INVALID_OPTION), never echoing it`, () => {
      assert.throws(
        () => new MemcachedStore({ cache }, { secret: secret as string }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_INVALID_OPTION');
          assert.match(error.message, message);
          if (typeof secret === 'string') assert.ok(!error.message.includes(secret));
          assert.ok(!error.message.includes('short secret'));
          return true;
        },
      );
    });
  }

  it(`accepts ${MIN_SECRET_LENGTH} characters (of any script), ${MIN_SECRET_LENGTH} bytes, and a list; says it seals`, () => {
    assert.equal(new MemcachedStore({ cache }, { secret: 'é'.repeat(32) }).sealed, true);
    assert.equal(new MemcachedStore({ cache }, { secret: Buffer.alloc(32, 7) }).sealed, true);
    assert.equal(new MemcachedStore({ cache }, { secret: [NEW, OLD] }).sealed, true);
    assert.equal(new MemcachedStore({ cache }).sealed, false);
  });

  it('uses a copy of a Buffer secret: changing the caller’s buffer afterwards changes nothing', async () => {
    const secret = Buffer.from(NEW);
    const store = new MemcachedStore({ cache }, { secret, logger: { warn: () => {} } });
    await store.setSession('id-of-the-copy-test-0123456789', { cookie: { maxAge: 60_000 } });
    secret.fill(0);
    assert.notEqual(await store.getSession('id-of-the-copy-test-0123456789'), null);
  });
});

describe('the rejected event', () => {
  it('a listener that throws does not turn a rejected value into a failed read', async () => {
    const cache = new Cache({ logger: { warn: () => {} } });
    const lines: string[] = [];
    const store = new MemcachedStore({ cache }, { secret: NEW, logger: { warn: (line: string) => lines.push(line) } });
    store.on('rejected', () => {
      throw new Error('a bug in the listener');
    });
    await cache.set('sess:a-session-id-of-thirty-two-chars', '{"cookie":{},"user":"admin"}');
    assert.equal(await store.getSession('a-session-id-of-thirty-two-chars'), null);
    assert.equal(store.stats().rejectedSessions, 1);
    assert.match(lines.join('\n'), /did not open \(not-sealed\)/);
  });
});

describe('the seal binding (the session key as the backend stores it)', () => {
  it('is the cache prefix and the key, byte for byte, for a key memcached takes as it is', async () => {
    const { sealBinding } = await import('../src/seal.js');
    const cache = new Cache({ keyPrefix: 'shop:' });
    assert.equal(sealBinding(cache, 'sess:abc'), 'shop:sess:abc');
    await cache.close();
  });

  it('a hashed key binds to its hash; a value sealed to its unhashed form still opens, marked to be resealed', async () => {
    const { openBindings, sealBinding } = await import('../src/seal.js');
    const cache = new Cache({ keyPrefix: 'shop café:' });
    const key = 'sess:abc';
    assert.match(sealBinding(cache, key), /:sha256:/);
    assert.deepEqual(openBindings(cache, key), [sealBinding(cache, key), 'shop café:sess:abc']);
    const sealer = seal([NEW]);
    const current = sealer.seal(JSON_TEXT, sealBinding(cache, key), 0);
    assert.deepEqual(sealer.open(current, openBindings(cache, key), NOW), { ok: true, json: JSON_TEXT, sealedUntil: 0, retiredSecret: false });
    const unhashed = sealer.seal(JSON_TEXT, 'shop café:sess:abc', 0);
    assert.deepEqual(sealer.open(unhashed, openBindings(cache, key), NOW), { ok: true, json: JSON_TEXT, sealedUntil: 0, retiredSecret: true });
    assert.deepEqual(sealer.open(unhashed, openBindings(cache, 'sess:abd'), NOW), { ok: false, reason: 'tampered' });
    await cache.close();
  });

  it('a session sealed to the unhashed key is read, and its next save seals it to the backend key', async () => {
    const { openBindings, sealBinding } = await import('../src/seal.js');
    const store = new MemcachedStore({ cache: new Cache({ keyPrefix: 'shop café:', logger: { warn: () => {} } }) }, { secret: NEW });
    const id = 'abcdefghijklmnopqrstuvwxyz012345';
    const key = store.prefix + id;
    const session = { cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000).toISOString(), path: '/' }, user: 'ada' };
    const full = store.cache.backendKey(key);
    const legacy = seal([NEW]).seal(JSON.stringify(session), 'shop café:' + key, 0);
    await store.cache.backend.set(full, { value: legacy, flags: 0 }, 3600);
    const read = await store.getSession(id);
    assert.equal((read as { user?: string } | null)?.user, 'ada');
    await store.touchSession(id, read!);
    const resealed = await store.cache.backend.get(full);
    const opened = seal([NEW]).open(resealed!.value, sealBinding(store.cache, key), Math.floor(Date.now() / 1000));
    assert.equal(opened.ok, true, 'resealed to the backend key');
    assert.notDeepEqual(resealed!.value, legacy);
    assert.equal(openBindings(store.cache, key).length, 2);
    await store.close();
    await store.cache.close();
  });
});
