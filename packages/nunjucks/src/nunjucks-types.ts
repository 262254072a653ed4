/**
 * The parts of nunjucks the cache tag touches, typed here (structurally) so that the package's
 * declarations never import nunjucks: a user needs neither @types/nunjucks nor, through
 * `@larder/fastify-plugin`'s re-export, nunjucks itself unless the app uses the tag. A real
 * `nunjucks.Environment` is assignable to `NunjucksEnvironment` without a cast.
 */

/** A nunjucks Environment, as far as the cache tag uses it. */
export interface NunjucksEnvironment {
  addExtension(name: string, extension: object): unknown;
  render(name: string, context?: object | RenderCallback, callback?: RenderCallback): string | null | void;
  renderString(source: string, context?: object | RenderCallback, options?: object | RenderCallback, callback?: RenderCallback): string | null | void;
  on(event: 'load', listener: (name: string, source: { src: string }) => void): unknown;
}

/** nunjucks' render callback. */
export type RenderCallback = (error: Error | null, output?: string | null) => void;

/** A template token: its value and where it stands (0-based line). */
export interface NunjucksToken {
  value: string;
  lineno: number;
  colno: number;
}

/** A parser node list (arguments of a tag). */
export interface NunjucksNodeList {
  children: unknown[];
}

/** The parser an extension's `parse` receives. */
export interface NunjucksParser {
  tokens: { str: string };
  nextToken(): NunjucksToken;
  parseSignature(tolerant: boolean | null, noParens: boolean): NunjucksNodeList;
  advanceAfterBlockEnd(name?: string): void;
  parseUntilBlocks(...names: string[]): unknown;
}

/** The node constructors an extension's `parse` receives. */
export interface NunjucksNodes {
  Literal: new (lineno: number, colno: number, value: unknown) => unknown;
  CallExtensionAsync: new (extension: object, method: string, args: NunjucksNodeList, contentArgs: unknown[]) => unknown;
}

/** A compiled tag body: renders into the callback. */
export type BodyRenderer = (callback: RenderCallback) => void;
