import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_BYTES, MAX_BACKOFF_MS, RefreshBackoff } from '../src/refresh-backoff.js';

describe('RefreshBackoff (a failing origin)', () => {
  it('pauses a page 1 s after a failed refresh, doubling per failure in a row up to 30 s; a success forgets it', () => {
    let now = 0;
    const backoff = new RefreshBackoff(() => now);
    assert.equal(backoff.allows('p'), true);
    const pauses: number[] = [];
    for (let i = 0; i < 7; i++) {
      backoff.failed('p');
      const from = now;
      while (!backoff.allows('p')) now += 250;
      pauses.push(now - from);
    }
    assert.deepEqual(pauses, [1000, 2000, 4000, 8000, 16000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    assert.equal(backoff.allows('other'), true, 'per page');
    backoff.succeeded('p');
    backoff.failed('p');
    assert.equal(backoff.allows('p'), false);
    now += FIRST_BACKOFF_MS;
    assert.equal(backoff.allows('p'), true, 'after a success it starts over from the first pause');
  });

  it('a page quiet for as long as the longest pause starts over from the first pause', () => {
    let now = 0;
    const backoff = new RefreshBackoff(() => now);
    backoff.failed('p');
    backoff.failed('p');
    now += 2000 + MAX_BACKOFF_MS;
    backoff.failed('p');
    now += FIRST_BACKOFF_MS;
    assert.equal(backoff.allows('p'), true);
  });

  it('is bounded in bytes: the pages that failed longest ago are forgotten', () => {
    const backoff = new RefreshBackoff(() => 0);
    const key = (i: number) => `view//page/${i}`.padEnd(1000, 'x');
    const count = Math.ceil(MAX_BACKOFF_BYTES / 1000) + 100;
    for (let i = 0; i < count; i++) backoff.failed(key(i));
    assert.ok(backoff.size < count && backoff.size > count - 200);
    assert.equal(backoff.allows(key(0)), true, 'the oldest was forgotten');
    assert.equal(backoff.allows(key(count - 1)), false);
  });
});
