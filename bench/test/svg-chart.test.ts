import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineChart, type ChartSpec } from '../src/plot/svg-chart.js';

/** A parsed element: its name, attributes, text, and children (enough XML for our own output). */
interface Element {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: Element[];
}

/** Parses the SVG as XML, failing on any unbalanced or unknown construct. */
function parse(xml: string): Element {
  const root: Element = { name: '#root', attributes: {}, text: '', children: [] };
  const stack = [root];
  const token = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let offset = 0;
  while (offset < xml.length && (match = token.exec(xml)) !== null) {
    offset = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      assert.doesNotMatch(text, /&(?!amp;|lt;|gt;|quot;)/, 'a bare & in text');
      top.text += unescape(text);
    } else if (closing) {
      assert.equal(top.name, name, `</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const attributes: Record<string, string> = {};
      for (const [, key, value] of attributeText!.matchAll(/([\w:-]+)="([^"]*)"/g)) attributes[key!] = unescape(value!);
      const element: Element = { name: name!, attributes, text: '', children: [] };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  assert.equal(offset, xml.length, `unparsable from: ${xml.slice(offset, offset + 60)}`);
  assert.equal(stack.length, 1, 'unclosed elements');
  assert.equal(root.children.length, 1);
  return root.children[0]!;
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function all(element: Element, predicate: (e: Element) => boolean): Element[] {
  return [...(predicate(element) ? [element] : []), ...element.children.flatMap((c) => all(c, predicate))];
}

function pointsOf(series: Element): Array<[number, number]> {
  const polyline = series.children.find((c) => c.name === 'polyline')!;
  return polyline.attributes.points!.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

const SPEC: ChartSpec = {
  title: 'Throughput <by> page size & "backend"',
  subtitle: '2 cores',
  x: { label: 'page size', unit: 'KB', log: true, ticks: [1, 4, 16, 64, 256, 512] },
  y: { label: 'throughput', unit: 'req/s' },
  series: [
    { name: 'plain route', points: [[1, 40_000], [4, 30_000], [16, 20_000], [64, 9_000], [256, 2_500], [512, 1_200]] },
    { name: 'Larder <memory>', points: [[1, 38_000], [64, 12_000], [512, 4_000]] },
    { name: 'value size', points: [[1, 1], [512, 512]], dashed: true },
  ],
  markers: [{ x: 100, label: 'kill' }],
};

test('the SVG parses, with one group per series holding its points, and a legend entry each', () => {
  const svg = parse(lineChart(SPEC));
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attributes.xmlns, 'http://www.w3.org/2000/svg');
  const series = all(svg, (e) => e.attributes.class === 'series');
  assert.deepEqual(series.map((s) => s.attributes['data-name']), ['plain route', 'Larder <memory>', 'value size']);
  assert.deepEqual(series.map((s) => pointsOf(s).length), [6, 3, 2]);
  assert.equal(series[2]!.children[0]!.attributes['stroke-dasharray'], '6 4');
  const legend = all(svg, (e) => e.attributes.class === 'legend')[0]!;
  assert.deepEqual(legend.children.filter((c) => c.name === 'text').map((t) => t.text), ['plain route', 'Larder <memory>', 'value size']);
  assert.equal(svg.children.find((c) => c.name === 'title')!.text, SPEC.title);
  assert.equal(all(svg, (e) => e.attributes.class === 'marker').length, 1);
});

test('points land inside the frame, higher values higher, and a log x axis spaces equal ratios equally', () => {
  const svg = parse(lineChart(SPEC));
  const frame = all(svg, (e) => e.attributes.class === 'frame')[0]!.attributes;
  const [left, top] = [Number(frame.x), Number(frame.y)];
  const [right, bottom] = [left + Number(frame.width), top + Number(frame.height)];
  const plain = pointsOf(all(svg, (e) => e.attributes.class === 'series')[0]!);
  for (const [px, py] of plain) {
    assert.ok(px >= left && px <= right && py >= top && py <= bottom, `${px},${py} outside the frame`);
  }
  for (let i = 1; i < plain.length; i++) assert.ok(plain[i]![1] > plain[i - 1]![1], 'a lower throughput is drawn lower (larger y)');
  const gap = (i: number) => plain[i + 1]![0] - plain[i]![0];
  assert.ok(Math.abs(gap(0) - gap(1)) < 0.5 && Math.abs(gap(1) - gap(2)) < 0.5, '1→4→16→64 (×4 each) equally spaced');
  assert.ok(Math.abs(gap(4) - gap(0) / 2) < 0.5, '256→512 (×2) half the ×4 gap');
  assert.ok(Math.abs(plain[0]![0] - left) < 0.5 && Math.abs(plain[5]![0] - right) < 0.5, 'given ticks bound the x axis: 1 at the left edge, 512 at the right');
  const xTicks = all(svg, (e) => e.attributes.class === 'x-ticks')[0]!.children.map((t) => t.text);
  assert.deepEqual(xTicks, ['1', '4', '16', '64', '256', '512']);
  const yTicks = all(svg, (e) => e.attributes.class === 'y-ticks')[0]!.children.map((t) => t.text);
  assert.equal(yTicks[0], '0', 'a linear y axis starts at 0');
  assert.ok(yTicks.at(-1) === '40k' || yTicks.at(-1) === '50k', `round top tick, got ${yTicks.at(-1)}`);
});

test('a log y axis drops points at or below zero instead of drawing them off the chart', () => {
  const svg = parse(lineChart({ title: 't', x: { label: 's' }, y: { label: 'ms', log: true }, series: [{ name: 'p99', points: [[0, 1], [1, 0], [2, 300]] }] }));
  assert.equal(pointsOf(all(svg, (e) => e.attributes.class === 'series')[0]!).length, 2);
});
