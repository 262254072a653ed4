import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomFillSync, type KeyObject } from 'node:crypto';

/**
 * Why a value under a session key did not open: `not-sealed` (plain JSON, text, a number,
 * another app's bytes), `malformed` (our mark, but an unknown version or too short to hold a
 * seal), `unknown-secret` (sealed with a secret this store does not hold, e.g. a retired one),
 * `tampered` (the authentication tag does not match: changed, truncated, or moved from another
 * session id), `expired` (authentic, but past the time it was sealed until).
 */
export type UnsealReason = 'not-sealed' | 'malformed' | 'unknown-secret' | 'tampered' | 'expired';

/** What `SessionSeal.open` made of a value: the session's JSON text, or why it did not open. */
export type Unsealed =
  | {
      readonly ok: true;
      /** The JSON text that was sealed. */
      readonly json: string;
      /** Unix seconds the value is valid until (0: no limit). */
      readonly sealedUntil: number;
      /** True when it was sealed with a secret other than the first, or bound to a binding other than the first: reseal it. */
      readonly retiredSecret: boolean;
    }
  | { readonly ok: false; readonly reason: UnsealReason };

// The sealed form, version 1 (README "Sealed sessions"): the header is authenticated too.
const MAGIC_0 = 0x4c; // 'L'
const MAGIC_1 = 0x53; // 'S'
const VERSION = 1;
const KEY_ID_AT = 3;
const UNTIL_AT = 7;
const NONCE_AT = 11;
const NONCE_BYTES = 24;
/** Bytes before the ciphertext: magic, version, key id, sealed-until, nonce. */
const HEADER_BYTES = NONCE_AT + NONCE_BYTES;
const TAG_BYTES = 16;
/** The largest sealed-until a header holds (2106-02-07). */
const MAX_UNTIL = 0xffff_ffff;

/** HKDF salt and labels; changing any of them makes every stored session unreadable. */
export const SEAL_KDF = Object.freeze({
  hash: 'sha256',
  salt: 'larder/session-store sealed sessions',
  sealKeyInfo: 'larder/session-store v1 seal key',
  keyIdInfo: 'larder/session-store v1 key id',
  messageKeyInfo: 'larder/session-store v1 message key',
});

const MESSAGE_KEY_INFO = Buffer.from(SEAL_KDF.messageKeyInfo, 'ascii');
const HKDF_BLOCK_1 = Buffer.from([1]);

interface SealKey {
  /** HKDF-derived from one secret: the key message keys are expanded from. */
  readonly key: KeyObject;
  /** 4 bytes, HKDF-derived from the same secret under another label: tells which secret sealed a value. */
  readonly id: number;
  /** Its position in the `secret` list (0 seals). */
  readonly index: number;
}

// Random bytes are drawn in blocks: one getrandom call per 170 seals instead of one per seal.
const POOL_BYTES = NONCE_BYTES * 170;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function fillNonce(target: Buffer, at: number): void {
  if (poolOffset + NONCE_BYTES > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + NONCE_BYTES);
  // Each block of the pool is used once; zeroing it keeps a used nonce from lingering.
  pool.fill(0, poolOffset, poolOffset + NONCE_BYTES);
  poolOffset += NONCE_BYTES;
}

/**
 * Seals session JSON with AES-256-GCM and opens it again. Keys come from the secrets through
 * HKDF-SHA256, once, at construction: per secret a seal key and a 4-byte key id. Each seal draws
 * a 24-byte random nonce: its first 12 bytes expand the seal key into a key for this message
 * alone (HKDF-Expand), its last 12 are the GCM IV, so no key ever sees two messages and the
 * random nonces never need counting. The header (version, key id, sealed-until, nonce) and the
 * caller's binding (the session's cache key) are the associated data: a value changed by one
 * bit, truncated, or copied under another session id does not open.
 */
export class SessionSeal {
  readonly #sealing: SealKey;
  readonly #byId = new Map<number, SealKey[]>();

  /** `secrets` as `resolveSecrets` gives them; the first seals. */
  constructor(secrets: readonly Buffer[]) {
    const keys = secrets.map((secret, index): SealKey => {
      const key = Buffer.from(hkdfSync(SEAL_KDF.hash, secret, SEAL_KDF.salt, SEAL_KDF.sealKeyInfo, 32));
      const id = Buffer.from(hkdfSync(SEAL_KDF.hash, secret, SEAL_KDF.salt, SEAL_KDF.keyIdInfo, 4)).readUInt32BE(0);
      return { key: createSecretKey(key), id, index };
    });
    this.#sealing = keys[0]!;
    for (const key of keys) {
      // Two secrets may share a 4-byte id (1 in 2^32): both are then tried.
      const same = this.#byId.get(key.id);
      if (same) same.push(key);
      else this.#byId.set(key.id, [key]);
    }
  }

  /** Seals `json`, bound to `binding` (the session's cache key), valid until `sealedUntil` (Unix seconds, 0: no limit). */
  seal(json: string, binding: string, sealedUntil: number): Buffer {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header[0] = MAGIC_0;
    header[1] = MAGIC_1;
    header[2] = VERSION;
    header.writeUInt32BE(this.#sealing.id, KEY_ID_AT);
    header.writeUInt32BE(Math.min(Math.max(0, Math.floor(sealedUntil)), MAX_UNTIL), UNTIL_AT);
    fillNonce(header, NONCE_AT);
    const cipher = createCipheriv('aes-256-gcm', messageKey(this.#sealing.key, header), header.subarray(NONCE_AT + 12, HEADER_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, binding));
    const body = cipher.update(json, 'utf8');
    const last = cipher.final();
    return Buffer.concat([header, body, last, cipher.getAuthTag()]);
  }

  /** Opens a value read under the session key whose bindings are `bindings` (see `openBindings`); `now` in Unix seconds decides `expired`. */
  open(value: unknown, bindings: string | readonly string[], now: number): Unsealed {
    if (!Buffer.isBuffer(value) || value.length < 3 || value[0] !== MAGIC_0 || value[1] !== MAGIC_1) return UNOPENED.notSealed;
    if (value[2] !== VERSION || value.length < HEADER_BYTES + TAG_BYTES) return UNOPENED.malformed;
    const candidates = this.#byId.get(value.readUInt32BE(KEY_ID_AT));
    if (candidates === undefined) return UNOPENED.unknownSecret;
    const header = value.subarray(0, HEADER_BYTES);
    const body = value.subarray(HEADER_BYTES, value.length - TAG_BYTES);
    const tag = value.subarray(value.length - TAG_BYTES);
    const all = typeof bindings === 'string' ? [bindings] : bindings;
    for (let at = 0; at < all.length; at++) {
      const aad = associatedData(header, all[at]!);
      for (const candidate of candidates) {
        const json = decrypt(candidate.key, header, aad, body, tag);
        if (json === undefined) continue;
        // Read only now: until the tag matched, the header could say anything.
        const sealedUntil = header.readUInt32BE(UNTIL_AT);
        if (sealedUntil !== 0 && now > sealedUntil) return UNOPENED.expired;
        return { ok: true, json, sealedUntil, retiredSecret: candidate.index !== 0 || at !== 0 };
      }
    }
    return UNOPENED.tampered;
  }
}

const UNOPENED = Object.freeze({
  notSealed: Object.freeze({ ok: false, reason: 'not-sealed' }),
  malformed: Object.freeze({ ok: false, reason: 'malformed' }),
  unknownSecret: Object.freeze({ ok: false, reason: 'unknown-secret' }),
  tampered: Object.freeze({ ok: false, reason: 'tampered' }),
  expired: Object.freeze({ ok: false, reason: 'expired' }),
} satisfies Record<string, Unsealed>);

/** The plaintext, or undefined when the tag does not match. */
function decrypt(key: KeyObject, header: Buffer, aad: Buffer, body: Buffer, tag: Buffer): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', messageKey(key, header), header.subarray(NONCE_AT + 12, HEADER_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const text = decipher.update(body);
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return text.toString('utf8');
}

// HKDF-Expand (RFC 5869) with the seal key as PRK, info = label || first half of the nonce;
// 32 bytes are one HMAC block: T(1) = HMAC(PRK, info || 0x01).
function messageKey(key: KeyObject, header: Buffer): Buffer {
  return createHmac('sha256', key).update(MESSAGE_KEY_INFO).update(header.subarray(NONCE_AT, NONCE_AT + 12)).update(HKDF_BLOCK_1).digest();
}

function associatedData(header: Buffer, binding: string): Buffer {
  const aad = Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(binding, 'utf8'));
  header.copy(aad, 0, 0, HEADER_BYTES);
  aad.write(binding, HEADER_BYTES, 'utf8');
  return aad;
}

/** Bytes a seal adds to the JSON text: the header and the tag. */
export const SEAL_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;

/** The part of a Cache a seal's binding is made from. */
interface KeyedCache {
  readonly keyPrefix: string;
  backendKey(key: string): string;
}

/**
 * What the seal of the session stored at `key` is bound to: its backend key, so a sealed value
 * opens only under the key it was written to (not under another id, another prefix, another
 * app's cache). For a key memcached takes as it is, that is the cache's prefix and the key, byte
 * for byte; a key the cache hashes binds to its hash, which is as unique as the key.
 */
export function sealBinding(cache: KeyedCache, key: string): string {
  return cache.backendKey(key);
}

/**
 * The bindings a read of `key` tries: `sealBinding`, then, for a key the cache hashes, its
 * unhashed form (the cache's prefix and the key), so sessions sealed to that stay readable; one
 * opened so is resealed (as under a retired secret) when next written.
 */
export function openBindings(cache: KeyedCache, key: string): readonly string[] {
  const binding = cache.backendKey(key);
  const unhashed = cache.keyPrefix + key;
  return binding === unhashed ? [binding] : [binding, unhashed];
}
