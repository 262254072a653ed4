import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let copies = 0;

/** A second module instance of a built package, as an app with two copies of it installed has. */
export interface SecondCopy<T> {
  /** The namespace of the copy's `dist/index.js`: its classes are not the original's. */
  readonly module: T;
  /** Deletes the copy's files. */
  dispose(): void;
}

/**
 * Loads a second, separate instance of the package built in `packageDir` (its `dist/` copied
 * under the package's own node_modules, so its dependencies still resolve): what a user gets
 * with two versions installed side by side, or one bundled and one from node_modules. An
 * `import('…?copy')` is not enough: the modules it imports would still be the shared ones.
 */
export async function importSecondCopy<T = Record<string, unknown>>(packageDir: string): Promise<SecondCopy<T>> {
  const dir = join(packageDir, 'node_modules', `.larder-second-copy-${process.pid}-${++copies}`);
  mkdirSync(dir, { recursive: true });
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(join(packageDir, 'dist'), join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const module = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as T;
    return { module, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
