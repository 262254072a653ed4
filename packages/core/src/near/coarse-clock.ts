// Date.now() is a call into the runtime; a near-cache hit is cheap enough for it to show. The
// near cache reads the time through this clock instead, as lru-cache does with its ttlResolution:
// exact to within a millisecond (a timer makes the next read fresh) or within 100 reads, whichever
// comes first, so a long run of microtasks that lets no timer fire still sees time move. After the
// event loop was blocked (no timer could fire), up to 100 reads can see the time before the block.
const READS_PER_CLOCK = 100;
let cached = 0;
let reads = 0;
let ticking = false;

/** Unix ms, read at most ~1 ms or 100 calls ago. */
export function coarseNow(): number {
  if (reads > 0) {
    reads--;
    return cached;
  }
  cached = Date.now();
  reads = READS_PER_CLOCK;
  if (!ticking) {
    ticking = true;
    setTimeout(expire, 1).unref();
  }
  return cached;
}

function expire(): void {
  reads = 0;
  ticking = false;
}
