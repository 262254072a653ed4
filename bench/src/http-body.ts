/** The body every HTTP benchmark route sends: about 1 KB of JSON, as a typical small page or API reply. */
export const BODY = JSON.stringify({
  items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `item number ${i}`, price: 1000 + i * 37, tags: ['a', 'b', 'c'] })),
});

/** The memjs key of the hand-written baseline route. */
export const HAND_KEY = 'bench:hand-written';
