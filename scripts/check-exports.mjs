// Checks that every path in the package's `exports` map exists after the build and loads the way
// its condition says: `import` targets through import(), `require` targets through require().
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const require = createRequire(resolve('package.json'));
/** [subpath, conditions leading to the target, target] for every leaf of the map. */
const targets = [];
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) collect(subpath, [], target);

let failed = false;
for (const [subpath, conditions, file] of targets) {
  const path = resolve(file);
  const where = `export "${subpath}" (${conditions.join(' > ') || 'default'})`;
  if (!existsSync(path)) {
    console.error(`${pkg.name}: ${where} points at missing ${file}`);
    failed = true;
  } else if (file.endsWith('.js') && !conditions.includes('types')) {
    try {
      if (conditions.includes('require')) require(path);
      else await import(pathToFileURL(path).href);
    } catch (error) {
      console.error(`${pkg.name}: ${where} does not load: ${error instanceof Error ? error.message : String(error)}`);
      failed = true;
    }
  }
}
if (failed) process.exit(1);
console.log(`${pkg.name}: ${targets.length} export targets present and loadable`);

function collect(subpath, conditions, target) {
  if (typeof target === 'string') targets.push([subpath, conditions, target]);
  else for (const [condition, inner] of Object.entries(target ?? {})) collect(subpath, [...conditions, condition], inner);
}
