/** The body every HTTP benchmark route sends: about 1 KB of JSON, as a typical small page or API reply. */
export const BODY = JSON.stringify({
  items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `item number ${i}`, price: 1000 + i * 37, tags: ['a', 'b', 'c'] })),
});

/** The memjs key of the hand-written baseline route. */
export const HAND_KEY = 'bench:hand-written';

/**
 * The page the Express and conditional benchmarks send: an HTML product listing of about 8 KB
 * (head, navigation, 24 product cards, footer), what a server-rendered page weighs before
 * compression. Built once; every route sends this same string.
 */
export const PAGE = [
  '<!doctype html>',
  '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
  '<title>Pantry staples | Larder shop</title><link rel="stylesheet" href="/assets/site.css"><script defer src="/assets/site.js"></script></head>',
  '<body><header class="site-header"><a class="logo" href="/">Larder shop</a><nav><ul>',
  ...['Fresh', 'Pantry', 'Frozen', 'Drinks', 'Household', 'Offers'].map((name) => `<li><a href="/c/${name.toLowerCase()}">${name}</a></li>`),
  '</ul></nav><form class="search" action="/search"><input name="q" placeholder="Search products"><button>Search</button></form></header>',
  '<main><h1>Pantry staples</h1><p class="lead">Everything for the cupboard, delivered tomorrow morning.</p><ul class="grid">',
  ...Array.from(
    { length: 24 },
    (_, i) =>
      `<li class="card"><a href="/p/${1000 + i}"><img src="/img/${1000 + i}.webp" alt="Product ${i + 1}" width="240" height="240" loading="lazy">` +
      `<h2>Product number ${i + 1}</h2></a><p class="price">&pound;${(1.25 + i * 0.4).toFixed(2)}</p>` +
      `<form method="post" action="/basket"><input type="hidden" name="id" value="${1000 + i}"><button>Add to basket</button></form></li>`,
  ),
  '</ul></main><footer class="site-footer"><p>Prices include VAT. Delivery slots from 7am.</p>',
  '<p><a href="/about">About</a> &middot; <a href="/help">Help</a> &middot; <a href="/privacy">Privacy</a></p></footer></body></html>',
].join('\n');

/**
 * What a hit adds to a page's own headers (ETag, Last-Modified, x-cache, Age), with values of the
 * same length as Larder's: the "hit-shaped" routes send them from a plain handler, so a hit
 * measured against such a route shows Larder's own cost apart from the response it sends.
 */
export const HIT_HEADERS: Readonly<Record<string, string>> = {
  etag: '"l77i9LWaA3EwlAZGPq3G7p3OGRe"',
  'last-modified': new Date(Date.UTC(2026, 11, 6, 9, 0, 0)).toUTCString(),
  'x-cache': 'HIT',
  age: '0',
};
