const WORDS = 'the of and a to in is you that it he was for on are as with his they at be this from have or by one had not but what all were when we there can an your which their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know'.split(' ');

/**
 * A flat string of exactly `bytes` ASCII characters, English-like words chosen by a small PRNG
 * seeded with `seed`: compressible as page text is, and distinct per seed (no string shared
 * between two values, no slice of a larger string kept alive).
 */
export function distinctText(bytes: number, seed: number): string {
  let state = (seed * 2654435761 + 1) >>> 0;
  const parts: string[] = [`${seed}:`];
  let length = parts[0]!.length;
  while (length < bytes) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const word = `${WORDS[state % WORDS.length]!} `;
    if (length + word.length > bytes) break;
    parts.push(word);
    length += word.length;
  }
  if (length < bytes) parts.push('.'.repeat(bytes - length));
  return parts.join('').slice(0, bytes);
}
