// Checks that every path in the package's `exports` map exists after the build and loads.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const targets = [];
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
  const files = typeof target === 'string' ? [target] : Object.values(target);
  for (const file of files) targets.push([subpath, file]);
}
let failed = false;
for (const [subpath, file] of targets) {
  const path = resolve(file);
  if (!existsSync(path)) {
    console.error(`${pkg.name}: export "${subpath}" points at missing ${file}`);
    failed = true;
  } else if (file.endsWith('.js')) {
    await import(pathToFileURL(path).href);
  }
}
if (failed) process.exit(1);
console.log(`${pkg.name}: ${targets.length} export targets present and loadable`);
