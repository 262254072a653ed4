import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { METRIC_NAMES } from '../src/index.js';

describe('the Grafana dashboard', () => {
  it('is a dashboard JSON whose queries use only metrics this package registers, and shows each of them', () => {
    const dashboard = JSON.parse(readFileSync(new URL('../grafana/larder.json', import.meta.url), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const known = new Set<string>(Object.values(METRIC_NAMES));
    const used = new Set(exprs.flatMap((expr) => expr.match(/larder_[a-z_]+/g) ?? []).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    for (const name of used) assert.ok(known.has(name), `${name} is not a metric of @larder/metrics`);
    for (const name of known) assert.ok(used.has(name), `${name} is on no panel`);
  });
});
