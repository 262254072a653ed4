import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SYSTEM_PYTHON } from '@larder/testing';

const FLASK_KEYS = fileURLToPath(new URL('./fixtures/flask_keys.py', import.meta.url));

/**
 * Runs fixtures/flask_keys.py, a real Flask app with Flask-Caching, once on `request` (one Python
 * process for a whole test file) and returns its JSON answer; a missing Flask-Caching says how to
 * install it.
 */
export function askFlaskKeys(request: object): unknown {
  try {
    const output = execFileSync(SYSTEM_PYTHON, [FLASK_KEYS], {
      input: JSON.stringify(request),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(output);
  } catch (error) {
    const failure = error as { code?: string; status?: number; stderr?: string };
    if (failure.code === 'ENOENT' || failure.status === 3) {
      const why = failure.stderr?.trim() || `${SYSTEM_PYTHON} not found`;
      throw new Error(`Flask-Caching is not available to ${SYSTEM_PYTHON} (${why}): run scripts/system-packages.sh, which installs python3-flask-caching`, { cause: error });
    }
    throw error;
  }
}
