import { InvalidArgumentError } from '../../errors.js';

/** Binary protocol opcodes used by Larder. */
export const Op = {
  GET: 0x00,
  SET: 0x01,
  ADD: 0x02,
  REPLACE: 0x03,
  DELETE: 0x04,
  INCREMENT: 0x05,
  DECREMENT: 0x06,
  FLUSH: 0x08,
  NOOP: 0x0a,
  GETKQ: 0x0d,
  SETQ: 0x11,
  REPLACEQ: 0x13,
  DELETEQ: 0x14,
  TOUCH: 0x1c,
  GAT: 0x1d,
} as const;

/** Binary protocol response status codes. */
export const Status = {
  OK: 0x00,
  NOT_FOUND: 0x01,
  EXISTS: 0x02,
  TOO_LARGE: 0x03,
  INVALID_ARGUMENTS: 0x04,
  NOT_STORED: 0x05,
  NON_NUMERIC: 0x06,
  AUTH_ERROR: 0x20,
} as const;

/** A parsed response, in the binary protocol's terms (meta answers are read into the same form). */
export interface Response {
  readonly header: { readonly opcode: number; readonly status: number; readonly opaque: number; readonly cas: Buffer };
  /** The value (or an error's text). */
  readonly val: Buffer;
  /** The item's flags word (from the extras of a get's answer; 0 when it has none). */
  readonly flags: number;
  /** Meta protocol only: the server's recompute marks on a hit (see MetaMarks). */
  readonly marks?: MetaMarks;
}

/** What a meta answer says of an item's recompute state (doc/protocol.txt, mg). */
export interface MetaMarks {
  /** W: this caller won the recompute token. */
  readonly win: boolean;
  /** Z: the token went to another caller already. */
  readonly taken: boolean;
  /** X: the item was invalidated (`md I`) and is stale. */
  readonly stale: boolean;
}

/** The most bytes one answer may hold: memcached's largest item is 1 GiB (-I 1g), an answer claiming more is not memcached's. */
export const MAX_ANSWER_BYTES = 1024 * 1024 * 1024 + 64 * 1024;

/** Bytes in a binary request or response header. */
export const HEADER_LENGTH = 24;
const REQUEST_MAGIC = 0x80;
/** Expiry word that makes incr/decr fail on an absent key instead of creating it. */
const NO_AUTO_CREATE = 0xffffffff;
/** memcached's longest key (KEY_MAX_LENGTH); a longer one is refused before it is sent. */
export const MAX_KEY_BYTES = 250;
/** Keys up to this length are copied character by character when they are ASCII. */
const SHORT_KEY = 64;

/** Writes a 32-bit big-endian word. */
function writeWord(target: Buffer, offset: number, word: number): void {
  target[offset] = word >>> 24;
  target[offset + 1] = (word >>> 16) & 0xff;
  target[offset + 2] = (word >>> 8) & 0xff;
  target[offset + 3] = word & 0xff;
}

/** Writes one request frame into `target` at `offset`; returns the offset after it. */
function writeRequest(
  target: Buffer,
  offset: number,
  opcode: number,
  opaque: number,
  key: string,
  keyLength: number,
  extras: Buffer | undefined,
  value: Buffer | undefined,
  cas: bigint,
): number {
  const extrasLength = extras?.length ?? 0;
  const valueLength = value?.length ?? 0;
  // The header byte by byte: plain stores, no bounds-checked writer calls (the frame was sized for it).
  const bodyLength = extrasLength + keyLength + valueLength;
  target[offset] = REQUEST_MAGIC;
  target[offset + 1] = opcode;
  target[offset + 2] = keyLength >>> 8;
  target[offset + 3] = keyLength & 0xff;
  target[offset + 4] = extrasLength;
  target[offset + 5] = 0;
  target[offset + 6] = 0;
  target[offset + 7] = 0;
  writeWord(target, offset + 8, bodyLength);
  writeWord(target, offset + 12, opaque);
  // Most requests carry no CAS: two zero words then, no BigInt arithmetic.
  if (cas === 0n) {
    writeWord(target, offset + 16, 0);
    writeWord(target, offset + 20, 0);
  } else target.writeBigUInt64BE(cas, offset + 16);
  let at = offset + HEADER_LENGTH;
  if (extras) at += extras.copy(target, at);
  if (keyLength === key.length && keyLength <= SHORT_KEY) {
    // An ASCII key (one byte per character) is copied by hand: cheaper than a call into the encoder.
    for (let i = 0; i < keyLength; i++) target[at + i] = key.charCodeAt(i);
    at += keyLength;
  } else at += target.write(key, at, keyLength, 'utf8');
  if (value) at += value.copy(target, at);
  return at;
}

/** One request to encode. */
export interface RequestSpec {
  readonly opcode: number;
  readonly key?: string;
  readonly extras?: Buffer;
  readonly value?: Buffer;
  readonly cas?: bigint;
  /** Meta protocol only: flags appended to the command (`N30 R10` on mg, `I T30` on md); binary ignores it. */
  readonly meta?: string;
}

/** Refuses a key of `keyBytes` bytes longer than memcached takes, before anything is sent. */
export function checkKeyBytes(keyBytes: number): void {
  if (keyBytes > MAX_KEY_BYTES) throw new InvalidArgumentError(`a memcached key of ${keyBytes} bytes cannot be sent (memcached takes at most ${MAX_KEY_BYTES})`);
}

/** Encodes requests into one buffer, ready for a single write: the first with `firstOpaque`, each next one with the next opaque. */
export function encodeRequests(specs: readonly RequestSpec[], firstOpaque: number): Buffer {
  // Keys are written straight into the frame: their byte lengths first, no Buffer per key.
  const keyLengths = new Array<number>(specs.length);
  let size = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const keyLength = spec.key === undefined ? 0 : Buffer.byteLength(spec.key, 'utf8');
    // memcached answers a longer key with an error and drops the connection, failing every other
    // call on it; and the header holds a key's length in 16 bits, so a key of 64 KiB or more
    // would be framed as its first bytes. Refused here, nothing is sent.
    checkKeyBytes(keyLength);
    keyLengths[i] = keyLength;
    size += HEADER_LENGTH + (spec.extras?.length ?? 0) + keyLength + (spec.value?.length ?? 0);
  }
  const frame = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    at = writeRequest(frame, at, spec.opcode, firstOpaque + i, spec.key ?? '', keyLengths[i]!, spec.extras, spec.value, spec.cas ?? 0n);
  }
  return frame;
}

/** Extras of set/add/replace: flags word and expiry. */
export function storeExtras(flags: number, expiry: number): Buffer {
  const extras = Buffer.allocUnsafe(8);
  extras.writeUInt32BE(flags >>> 0, 0);
  extras.writeUInt32BE(expiry, 4);
  return extras;
}

/** Extras of touch: expiry. */
export function expiryExtras(expiry: number): Buffer {
  const extras = Buffer.allocUnsafe(4);
  extras.writeUInt32BE(expiry, 0);
  return extras;
}

/** Extras of incr/decr: delta, unused initial value, and "do not create". */
export function arithExtras(delta: bigint): Buffer {
  const extras = Buffer.alloc(20);
  extras.writeBigUInt64BE(delta, 0);
  extras.writeUInt32BE(NO_AUTO_CREATE, 16);
  return extras;
}

/** CAS token of a response. */
export function responseCas(response: Response): bigint {
  return response.header.cas.readBigUInt64BE(0);
}
