import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCluster } from './cluster.js';
import { benchCoreMemcached } from './core-memcached.js';
import { benchCoreMemory } from './core-memory.js';
import { benchConditional } from './http-conditional.js';
import { benchExpress } from './http-express.js';
import { benchHttpSessions } from './http-sessions.js';
import { benchHttpStale } from './http-stale.js';
import { benchHttpViews } from './http-views.js';
import { benchTransport } from './transport.js';
import { benchFlaskViews } from './flask-views.js';
import { toMarkdown, type ResultRow } from './report.js';
import { CURVES } from './curves/sections.js';
import { curveSettings } from './curves/settings.js';

/** Where the table goes in RESULTS.md. */
const TABLE_START = '<!-- table: written by run.ts -->';
const TABLE_END = '<!-- end of table -->';

/** Every benchmark section, in the order they run. */
const SECTIONS: Record<string, () => Promise<ResultRow[]>> = {
  memory: benchCoreMemory,
  memcached: benchCoreMemcached,
  cluster: benchCluster,
  transport: benchTransport,
  http: benchHttpViews,
  flask: benchFlaskViews,
  stale: benchHttpStale,
  sessions: benchHttpSessions,
  express: benchExpress,
  conditional: benchConditional,
};

// Curve sections run only when named (`curves` names them all); a run without arguments is the table.
const only = process.argv.slice(2).flatMap((name) => (name === 'curves' ? Object.keys(CURVES) : [name]));
const unknown = only.filter((name) => !(name in SECTIONS) && !(name in CURVES));
if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${[...Object.keys(SECTIONS), ...Object.keys(CURVES), 'curves'].join(', ')}`);
const rows: ResultRow[] = [];
for (const [name, section] of Object.entries(SECTIONS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.error(`bench: ${name}...`);
  rows.push(...(await section()));
}
const settings = curveSettings();
for (const [name, curve] of Object.entries(CURVES)) {
  if (!only.includes(name)) continue;
  console.error(`bench: ${name}...`);
  rows.push(...((await curve(settings)) ?? []));
}
const table = toMarkdown(rows);
if (rows.length > 0 || only.length === 0) console.log(table);
if (only.length === 0) {
  // The table and its machine line go between the markers of RESULTS.md; the notes, profiles and
  // curves around them stay (a file without the markers is written anew).
  const machine = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`;
  const block = `${TABLE_START}\n${machine}\n\n${table}\n${TABLE_END}`;
  const path = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const start = old.indexOf(TABLE_START);
  const end = old.indexOf(TABLE_END);
  const header = '# Benchmark results\n\nProduced by `pnpm bench` (latest run committed). Each ratio compares Larder with a baseline\nmeasured in the same run on the same machine; medians of interleaved rounds.\n\n';
  writeFileSync(path, start !== -1 && end > start ? `${old.slice(0, start)}${block}${old.slice(end + TABLE_END.length)}` : `${header}${block}\n`);
}
