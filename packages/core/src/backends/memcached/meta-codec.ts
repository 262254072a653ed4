import { InvalidArgumentError } from '../../errors.js';
import { checkKeyBytes, MAX_KEY_BYTES, Op, Status } from './protocol.js';
import type { MetaMarks, RequestSpec, Response } from './protocol.js';

// The meta protocol (memcached 1.6+, doc/protocol.txt): Larder's binary requests written as
// mg/ms/md/ma/mn, and the answers read back into the binary form, so the backend above (keys,
// flags, chunking, write-over) runs unchanged on either protocol and stores the same items.

/** True for the one request encodeMeta sends in quiet mode (`q`): a quiet get, which answers only on a hit. */
export function isQuietMeta(opcode: number): boolean {
  return opcode === Op.GETKQ;
}

const MAX_T = 0x7fffffff;
const CRLF = Buffer.from('\r\n');

/** A key meta can carry as it is; any other goes base64-encoded with the `b` flag (the item is the same). */
function keyToken(key: string): { key: string; b: string } {
  return /^[\x21-\x7e]{1,250}$/.test(key) ? { key, b: '' } : { key: Buffer.from(key, 'utf8').toString('base64'), b: ' b' };
}

function expiryToken(expiry: number): string {
  return `T${Math.min(expiry, MAX_T)}`;
}

/** Writes one binary-style request as a meta command (its line and, for ms, its data block); `opaque` is echoed by the server (`O`). */
export function encodeMeta(spec: RequestSpec, opaque: number): Buffer {
  // A key of at most a third of the limit in characters is within it in UTF-8 bytes.
  if (spec.key !== undefined && spec.key.length > MAX_KEY_BYTES / 3) checkKeyBytes(Buffer.byteLength(spec.key, 'utf8'));
  const { key, b } = keyToken(spec.key ?? '');
  const o = `O${opaque}${b}`;
  const line = (text: string): Buffer => Buffer.from(text + '\r\n', 'latin1');
  switch (spec.opcode) {
    case Op.GET:
      return line(`mg ${key} v f c ${o}${spec.meta ? ' ' + spec.meta : ''}`);
    case Op.GETKQ:
      return line(`mg ${key} v f c ${o}${isQuietMeta(spec.opcode) ? ' q' : ''}`);
    case Op.GAT:
      return line(`mg ${key} v f ${expiryToken(spec.extras!.readUInt32BE(0))} ${o}`);
    case Op.TOUCH:
      return line(`mg ${key} ${expiryToken(spec.extras!.readUInt32BE(0))} ${o}`);
    case Op.SET:
    case Op.SETQ:
    case Op.ADD:
    case Op.REPLACE:
    case Op.REPLACEQ: {
      const extras = spec.extras!;
      const mode = spec.opcode === Op.ADD ? 'E' : spec.opcode === Op.REPLACE || spec.opcode === Op.REPLACEQ ? 'R' : 'S';
      const cas = spec.cas ? ` C${spec.cas}` : '';
      const value = spec.value ?? Buffer.alloc(0);
      const head = `ms ${key} ${value.length} F${extras.readUInt32BE(0)} ${expiryToken(extras.readUInt32BE(4))} M${mode}${cas} ${o}\r\n`;
      return Buffer.concat([Buffer.from(head, 'latin1'), value, CRLF]);
    }
    case Op.DELETE:
    case Op.DELETEQ:
      return line(`md ${key} ${o}${spec.meta ? ' ' + spec.meta : ''}`);
    case Op.INCREMENT:
    case Op.DECREMENT:
      return line(`ma ${key} D${spec.extras!.readBigUInt64BE(0)} M${spec.opcode === Op.INCREMENT ? 'I' : 'D'} v ${o}`);
    case Op.FLUSH:
      return line('flush_all');
    case Op.NOOP:
      return line('mn');
    default:
      throw new InvalidArgumentError(`opcode 0x${spec.opcode.toString(16)} has no meta form`);
  }
}

/** One answer line of the meta protocol, split: code, then its tokens (`VA` has its size first). */
export interface MetaLine {
  readonly code: string;
  readonly tokens: readonly string[];
  /** The text after the code, for error lines. */
  readonly rest: string;
}

/** Splits an answer line. */
export function parseMetaLine(text: string): MetaLine {
  const space = text.indexOf(' ');
  const code = space < 0 ? text : text.slice(0, space);
  const rest = space < 0 ? '' : text.slice(space + 1);
  return { code, tokens: rest.length > 0 ? rest.split(' ') : [], rest };
}

/** The opaque (`O`) an answer carries, if any. */
export function opaqueOf(line: MetaLine): number | undefined {
  if (isErrorLine(line)) return undefined;
  for (const token of line.tokens) if (token.charCodeAt(0) === 79 /* O */) return Number(token.slice(1));
  return undefined;
}

/** True for the generic error lines, which carry no opaque. */
export function isErrorLine(line: MetaLine): boolean {
  return line.code === 'ERROR' || line.code === 'CLIENT_ERROR' || line.code === 'SERVER_ERROR';
}

const EMPTY = Buffer.alloc(0);
const ZERO_CAS = Buffer.alloc(8);

/** The binary-form response to `spec` for a meta answer (and its data block, after VA). */
export function toResponse(spec: RequestSpec, line: MetaLine, data: Buffer | undefined, opaque: number): Response {
  let status: number;
  let flags: number | undefined;
  let cas = ZERO_CAS;
  let val = data ?? EMPTY;
  switch (line.code) {
    case 'VA':
    case 'HD':
    case 'OK':
    case 'MN':
      status = Status.OK;
      break;
    case 'EN':
    case 'NF':
      status = Status.NOT_FOUND;
      break;
    case 'NS':
      status = Status.NOT_STORED;
      break;
    case 'EX':
      status = Status.EXISTS;
      break;
    case 'SERVER_ERROR':
      status = /too large/i.test(line.rest) ? Status.TOO_LARGE : /out of memory/i.test(line.rest) ? 0x82 : 0x84;
      val = Buffer.from(line.rest, 'latin1');
      break;
    case 'CLIENT_ERROR':
      status = /non-numeric/i.test(line.rest) ? Status.NON_NUMERIC : Status.INVALID_ARGUMENTS;
      val = Buffer.from(line.rest, 'latin1');
      break;
    default:
      status = 0x81; // unknown command
      val = Buffer.from(line.code + (line.rest ? ' ' + line.rest : ''), 'latin1');
  }
  const flagTokens = isErrorLine(line) ? [] : line.code === 'VA' ? line.tokens.slice(1) : line.tokens;
  let marks: { win: boolean; taken: boolean; stale: boolean } | undefined;
  for (const token of flagTokens) {
    const flag = token.charCodeAt(0);
    if (token.length === 1 && (flag === 87 /* W */ || flag === 90 /* Z */ || flag === 88 /* X */)) {
      marks ??= { win: false, taken: false, stale: false };
      if (flag === 87) marks.win = true;
      else if (flag === 90) marks.taken = true;
      else marks.stale = true;
    } else if (flag === 102 /* f */) flags = Number(token.slice(1));
    else if (flag === 99 /* c */) {
      cas = Buffer.allocUnsafe(8);
      cas.writeBigUInt64BE(BigInt(token.slice(1)));
    }
  }
  // incr/decr answer with the number as text; the binary form is 8 bytes, big-endian.
  if ((spec.opcode === Op.INCREMENT || spec.opcode === Op.DECREMENT) && status === Status.OK && data) {
    val = Buffer.allocUnsafe(8);
    val.writeBigUInt64BE(BigInt(data.toString('latin1')));
  }
  const response = { header: { opcode: spec.opcode, status, opaque, cas }, val, flags: flags === undefined ? 0 : flags >>> 0 };
  return marks === undefined ? response : { ...response, marks: marks as MetaMarks };
}
