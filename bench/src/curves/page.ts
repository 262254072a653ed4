/**
 * An HTML product listing of about `kb` KiB, rendered afresh on every call the way a template
 * would (a card per product, each built from its fields): the work a plain route does per request
 * grows with the page, as a real handler's does.
 */
export function renderPage(kb: number): string {
  const target = kb * 1024;
  const parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pantry | Larder shop</title></head><body><main><ul class="grid">'];
  let length = parts[0]!.length + FOOTER.length;
  for (let i = 0; length < target; i++) {
    const card =
      `<li class="card"><a href="/p/${1000 + i}"><img src="/img/${1000 + i}.webp" alt="Product ${i + 1}" width="240" height="240" loading="lazy">` +
      `<h2>Product number ${i + 1}</h2></a><p class="price">&pound;${(1.25 + (i % 97) * 0.4).toFixed(2)}</p></li>\n`;
    parts.push(card);
    length += card.length;
  }
  parts.push(FOOTER);
  return parts.join('');
}

const FOOTER = '</ul></main><footer><p>Prices include VAT.</p></footer></body></html>';
