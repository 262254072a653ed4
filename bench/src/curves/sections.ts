import { curveConnections } from './curve-connections.js';
import { curveFailover } from './curve-failover.js';
import { curveMemory } from './curve-memory.js';
import { curveNodes } from './curve-nodes.js';
import { curveSize } from './curve-size.js';
import type { ResultRow } from '../report.js';
import type { CurveSettings } from './settings.js';

/** The curve sections of run.ts, in the order `curves` runs them; each writes bench/plots/<name>.svg and .json; some also give goal rows for the table. */
export const CURVES: Record<string, (settings: CurveSettings) => Promise<ResultRow[] | void>> = {
  'curve-size': curveSize,
  'curve-connections': curveConnections,
  'curve-nodes': curveNodes,
  'curve-failover': curveFailover,
  'curve-memory': curveMemory,
};
