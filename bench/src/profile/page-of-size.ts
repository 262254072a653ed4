/** An HTML page of exactly `bytes` bytes (ASCII), product cards repeated: what a rendered page of that weight looks like to a cache. */
export function pageOfSize(bytes: number): string {
  const head = '<!doctype html><html><head><title>Products</title></head><body><ul>';
  const tail = '</ul></body></html>';
  const cards: string[] = [];
  let length = head.length + tail.length;
  for (let i = 0; length < bytes; i++) {
    const card = `<li class="card"><a href="/p/${1000 + i}">Product number ${i}</a><p class="price">&pound;${(1.25 + i * 0.4).toFixed(2)}</p></li>`;
    cards.push(card);
    length += card.length;
  }
  const page = head + cards.join('') + tail;
  return page.length > bytes ? page.slice(0, Math.max(0, bytes - tail.length)) + tail : page;
}
