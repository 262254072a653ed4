import { ConnectionError, ServerError } from '../../errors.js';
import { encodeMeta, isErrorLine, isQuietMeta, opaqueOf, parseMetaLine, toResponse, type MetaLine } from './meta-codec.js';
import { OrderedWaiting } from './ordered-waiting.js';
import { PipelinedNode } from './pipelined-node.js';
import { MAX_ANSWER_BYTES, type RequestSpec } from './protocol.js';

const MAX_LINE = 8 * 1024;
const CRLF = '\r\n';

/**
 * One memcached server over the meta protocol (memcached 1.6+). It takes the binary-form
 * requests the backend builds and answers in the binary form (see meta-codec.ts), so both
 * protocols share one backend. Each command carries an opaque (`O`) so a quiet mg's silence is
 * told from its answer.
 */
export class MetaNode extends PipelinedNode {
  protected readonly waiting = new OrderedWaiting(isQuietMeta);
  /** The answer line of a VA whose data block is still arriving. */
  #value: { line: MetaLine; size: number } | undefined;

  protected encode(specs: readonly RequestSpec[], firstOpaque: number): Buffer[] {
    return specs.map((spec, i) => encodeMeta(spec, firstOpaque + i));
  }

  protected reset(): void {
    this.#value = undefined;
  }

  protected parse(): void {
    const bytes = this.bytes;
    while (bytes.size > 0) {
      if (this.#value) {
        const { line, size } = this.#value;
        if (bytes.size < size + 2) return;
        const block = bytes.take(size + 2);
        this.#value = undefined;
        // A data block not followed by CRLF is not the size its line said: the stream is out of step.
        if (block[size] !== 13 || block[size + 1] !== 10) throw this.#unreadable('value longer than its VA line says');
        this.#answer(line, block.subarray(0, size));
        continue;
      }
      const text = this.#line();
      if (text === undefined) return;
      const line = parseMetaLine(text);
      if (line.code === 'VA') {
        const size = Number(line.tokens[0]);
        if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ANSWER_BYTES) throw this.#unreadable(`"${text.slice(0, 80)}"`);
        this.#value = { line, size };
        continue;
      }
      this.#answer(line, undefined);
    }
  }

  /** The next answer line, without its CRLF, once complete. */
  #line(): string | undefined {
    const bytes = this.bytes;
    // A line is at most MAX_LINE bytes: only that much is joined to look for its end.
    const window = Math.min(bytes.size, MAX_LINE + 2);
    const buffer = bytes.front(window);
    const start = bytes.offset;
    const end = buffer.indexOf(CRLF, start);
    if (end < 0 || end + 2 > start + window) {
      if (bytes.size > MAX_LINE) throw this.#unreadable('answer line too long');
      return undefined;
    }
    const text = buffer.toString('latin1', start, end);
    bytes.take(end - start + 2);
    return text;
  }

  /** Hands an answer to the command it answers: quiet ones before it stayed silent. */
  #answer(line: MetaLine, data: Buffer | undefined): void {
    const error = isErrorLine(line);
    const match = this.waiting.claim(opaqueOf(line), line.code === 'MN', error);
    if (match === undefined) throw new ConnectionError(this.address, `answer "${line.code}" matches no request`);
    // An error for a quiet mg ends up at its batch's mn: it fails the batch.
    const { call, index } = match;
    if (match.failsBatch) call.fail(new ServerError(this.address, 0x84, line.rest || line.code));
    else call.answer(index, toResponse(call.specs[index]!, line, data, call.firstOpaque + index));
  }

  #unreadable(what: string): ConnectionError {
    return new ConnectionError(this.address, `unreadable answer (${what})`);
  }
}
