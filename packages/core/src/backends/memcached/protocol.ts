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

/** A parsed response as memjs hands it over. */
export interface Response {
  readonly header: { readonly opcode: number; readonly status: number; readonly opaque: number; readonly cas: Buffer };
  readonly key: Buffer;
  readonly extras: Buffer;
  readonly val: Buffer;
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

const HEADER_LENGTH = 24;
const REQUEST_MAGIC = 0x80;
/** Expiry word that makes incr/decr fail on an absent key instead of creating it. */
const NO_AUTO_CREATE = 0xffffffff;

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
  target.writeUInt8(REQUEST_MAGIC, offset);
  target.writeUInt8(opcode, offset + 1);
  target.writeUInt16BE(keyLength, offset + 2);
  target.writeUInt8(extrasLength, offset + 4);
  target.writeUInt8(0, offset + 5);
  target.writeUInt16BE(0, offset + 6);
  target.writeUInt32BE(extrasLength + keyLength + valueLength, offset + 8);
  target.writeUInt32BE(opaque, offset + 12);
  // Most requests carry no CAS: two plain words then, no BigInt arithmetic.
  if (cas === 0n) {
    target.writeUInt32BE(0, offset + 16);
    target.writeUInt32BE(0, offset + 20);
  } else target.writeBigUInt64BE(cas, offset + 16);
  let at = offset + HEADER_LENGTH;
  if (extras) at += extras.copy(target, at);
  at += target.write(key, at, keyLength, 'utf8');
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

/** Encodes requests into one buffer, all with the given opaque, ready for a single write. */
export function encodeRequests(specs: readonly RequestSpec[], opaque: number): Buffer {
  // Keys are written straight into the frame: their byte lengths first, no Buffer per key.
  const keyLengths = new Array<number>(specs.length);
  let size = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const keyLength = spec.key === undefined ? 0 : Buffer.byteLength(spec.key, 'utf8');
    keyLengths[i] = keyLength;
    size += HEADER_LENGTH + (spec.extras?.length ?? 0) + keyLength + (spec.value?.length ?? 0);
  }
  const frame = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    at = writeRequest(frame, at, spec.opcode, opaque, spec.key ?? '', keyLengths[i]!, spec.extras, spec.value, spec.cas ?? 0n);
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

/** Flags word of a get response. */
export function responseFlags(response: Response): number {
  return response.extras.length >= 4 ? response.extras.readUInt32BE(0) : 0;
}

/** CAS token of a response. */
export function responseCas(response: Response): bigint {
  return response.header.cas.readBigUInt64BE(0);
}
