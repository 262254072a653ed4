/**
 * One fenced code sample of a README. The fence's info string says what it is:
 * - ```` ```ts ```` TypeScript, typechecked only (for example a sample that needs a server);
 * - ```` ```ts readme-run ```` TypeScript, typechecked and run;
 * - ```` ```js ```` JavaScript, always run: as CommonJS (.cjs) when it calls `require(` and has
 *   no `import` statement, else as an ES module (.mjs).
 * `readme-run=<dir>` (for example `readme-run=packages/fastify-plugin`) names the package the
 * sample belongs to, so the workspace runs it where that package's dependencies resolve.
 */
export interface ReadmeSample {
  /** The fence's language. */
  lang: 'ts' | 'js';
  /** True when the sample is run (every js sample, ts samples tagged readme-run). */
  runs: boolean;
  /** How a run sample is loaded. */
  format: 'module' | 'commonjs';
  /** The package directory from `readme-run=<dir>`, if given. */
  dir: string | undefined;
  /** 1-based line of the opening fence, to name the sample in reports. */
  line: number;
  /** The sample's source. */
  code: string;
  /** The output lines its `//=> ` comments promise, in order. */
  expectations: string[];
}

/** Every ```ts and ```js sample of a Markdown text, in order. */
export function readmeSamples(markdown: string): ReadmeSample[] {
  const samples: ReadmeSample[] = [];
  for (const match of markdown.matchAll(/^```(ts|js)(?:[ \t]+([^\n]*))?\n([\s\S]*?)^```[ \t]*$/gm)) {
    const lang = match[1] as 'ts' | 'js';
    const attributes = (match[2] ?? '').trim().split(/\s+/).filter(Boolean);
    const run = attributes.find((attribute) => attribute === 'readme-run' || attribute.startsWith('readme-run='));
    const code = match[3]!;
    const commonjs = lang === 'js' && /\brequire\(/.test(code) && !/^\s*import\s/m.test(code);
    samples.push({
      lang,
      runs: lang === 'js' || run !== undefined,
      format: commonjs ? 'commonjs' : 'module',
      dir: run?.includes('=') ? run.slice('readme-run='.length) : undefined,
      line: markdown.slice(0, match.index).split('\n').length,
      code,
      expectations: [...code.matchAll(/\/\/=> (.+)$/gm)].map((m) => m[1]!.trim()),
    });
  }
  return samples;
}

/** The lines of `output` a sample promised and did not print (trimmed comparison). */
export function missingExpectations(sample: ReadmeSample, output: string): string[] {
  const lines = new Set(output.split('\n').map((line) => line.trim()));
  return sample.expectations.filter((expected) => !lines.has(expected));
}

/** A route a sample declares: `app.get('/products/:id', ...)` gives method GET and that path. */
export interface SampleRoute {
  method: string;
  path: string;
}

const ROUTE_DECLARATION = /\b(?:app|router|fastify|server|instance)\.(get|post|put|patch|delete|head|all)(?:<[^>(]*>)?\(\s*(['"`])(\/[^'"`]*)\2/g;

/** The routes a sample declares with `app.get('/path', ...)` and the like (app, router, fastify, server, instance). */
export function sampleRoutes(code: string): SampleRoute[] {
  return [...code.matchAll(ROUTE_DECLARATION)].map((match) => ({ method: match[1]!.toUpperCase(), path: match[3]! }));
}

/**
 * The routes a sample declares and never requests itself. A route counts as requested when a
 * string literal other than its declaration holds a path the route matches (`:name` matches one
 * segment), after any `${...}` base and scheme://host part: `inject('/products/7')`,
 * `fetch(\`${base}/products/7\`)`, `{ url: '/products/7?x=1' }`. A sample that defines a route
 * must show it answering, so a route that fails when requested cannot pass its test.
 */
export function unrequestedRoutes(code: string): SampleRoute[] {
  const declarations = new Set([...code.matchAll(ROUTE_DECLARATION)].map((match) => match.index + match[0].length - match[3]!.length - 2));
  const literals: string[] = [];
  for (const match of code.matchAll(/'([^'\n]*)'|"([^"\n]*)"|`([^`]*)`/g)) {
    if (declarations.has(match.index)) continue;
    const text = (match[1] ?? match[2] ?? match[3] ?? '').replace(/^(?:\$\{[^}]*\})+/, '').replace(/^[a-z]+:\/\/[^/]*/, '');
    literals.push(text);
  }
  return sampleRoutes(code).filter((route) => {
    const pattern = new RegExp(`^${route.path.split(/(:[A-Za-z_]\w*|\*)/).map((part) => (/^(:|\*)/.test(part) ? '[^/?#]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}(?:[?#].*)?$`);
    return !literals.some((literal) => pattern.test(literal));
  });
}
