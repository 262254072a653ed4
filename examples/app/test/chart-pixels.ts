/** How many pixels of a chart screenshot are the hits line's green, the misses line's crimson, and the axes' dark grey. */
export interface ChartPixels {
  green: number;
  crimson: number;
  axis: number;
}

/** A page that can run a script (Playwright's or Puppeteer's `Page`). */
interface ScriptPage {
  evaluate(script: string): Promise<unknown>;
}

/** Counts `shot`'s pixels (a PNG) by colour, decoded by the page's own canvas (no PNG library). */
export async function chartPixels(page: ScriptPage, shot: Buffer): Promise<ChartPixels> {
  return (await page.evaluate(`(async () => {
    const image = new Image();
    image.src = 'data:image/png;base64,${shot.toString('base64')}';
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, image.width, image.height).data;
    const counts = { green: 0, crimson: 0, axis: 0 };
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (g > 90 && r < 60 && b < 60) counts.green++;
      else if (r > 180 && g < 60 && b < 90) counts.crimson++;
      else if (r < 110 && Math.abs(r - g) < 12 && Math.abs(g - b) < 12) counts.axis++;
    }
    return counts;
  })()`)) as ChartPixels;
}
