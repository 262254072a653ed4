import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, as a reader sorts server CPU: Larder, the framework, Node itself, the rest. */
function placeOf(url: string): string {
  if (url.includes('/packages/')) return `larder ${url.slice(url.indexOf('/packages/') + 10).split('/')[0]}`;
  if (url.includes('/fastify/') || url.includes('/find-my-way/') || url.includes('/light-my-request/') || url.includes('fast-json-stringify') || url.includes('/avvio/')) return 'fastify';
  if (url.includes('/express/') || url.includes('/router/') || url.includes('/send/') || url.includes('/finalhandler/') || url.includes('/etag/') || url.includes('/fresh/')) return 'express';
  if (url.startsWith('node:') || url === '') return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return `dep ${url.slice(modules + 14).split('/')[0]}`;
  return 'other';
}

/** Self time by place and the top functions of a V8 CPU profile (`node --cpu-prof`), as text. */
export function summariseProfile(path: string, top = 25): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    total += us;
    const place = placeOf(frame.url);
    places.set(place, (places.get(place) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const percent = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const lines = ['self time by place (busy time, idle excluded):'];
  for (const [place, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`  ${percent(us).padStart(6)}  ${place}`);
  lines.push(`top ${top} functions by self time:`);
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${percent(us).padStart(6)}  ${name}`);
  return lines.join('\n');
}
