export { METRIC_NAMES } from './metric-names.js';
export type { ViewStatsSource, SessionStatsSource, ServerStatesSource } from './sources.js';
