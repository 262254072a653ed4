import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's own source or build folder: frames inside it are Larder's, not the caller's.
const OWN_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const taken = new Map<string, number>();

/** Where the memoized function was declared: the first stack frame outside Larder. */
function callerModule(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(frame.trim());
    const file = match?.[1];
    if (!file) continue;
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (path.startsWith(OWN_ROOT)) continue;
    return relative(process.cwd(), path).replace(/\.[cm]?[jt]s$/, '');
  }
  return undefined;
}

/**
 * A stable identity for a memoized function: the explicit `name`, else the declaring module
 * and the function's (qualified) name. `warn` is told when the identity is a guess that can
 * collide or move (anonymous functions, a second function under the same identity).
 */
export function functionIdentity(explicit: string | undefined, functionName: string, warn: (message: string) => void): string {
  if (explicit !== undefined) return claim(explicit, warn, true);
  const module = callerModule() ?? 'unknown-module';
  if (!functionName) warn(`larder memoize: an anonymous function in ${module} is keyed by its position; give it a "name" option`);
  return claim(`${module}.${functionName || 'anonymous'}`, warn, false);
}

function claim(identity: string, warn: (message: string) => void, explicit: boolean): string {
  const count = taken.get(identity) ?? 0;
  taken.set(identity, count + 1);
  if (count === 0) return identity;
  if (explicit) {
    warn(`larder memoize: name "${identity}" is used by more than one function; they share cached results`);
    return identity;
  }
  warn(`larder memoize: "${identity}" names two functions; the second is keyed "${identity}#${count + 1}", which depends on load order: give it a "name" option`);
  return `${identity}#${count + 1}`;
}
