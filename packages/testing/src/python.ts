import { execFileSync } from 'node:child_process';

/** Debian's Python, where python3-pylibmc and python3-pymemcache live. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Runs a Python script with JSON on stdin; returns the JSON it prints. Throws with its stderr on failure. */
export function runPython<T = unknown>(script: string, input: unknown): T {
  const output = execFileSync(SYSTEM_PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(output) as T;
}
