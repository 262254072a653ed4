import { createHash } from 'node:crypto';
import type { NunjucksEnvironment } from './nunjucks-types.js';

/**
 * Names templates for fragments that give no name of their own: Flask-Caching uses the template
 * file plus the tag's line. A nunjucks parser does not know its template's name, so the name is
 * found by the template's source, recorded when the environment's loader loads it. A template
 * from a string has no name and is named by a hash of its source instead.
 */
export class FragmentNames {
  readonly #bySource = new Map<string, string>();

  /** Starts recording the names of the templates `env` loads. */
  watch(env: NunjucksEnvironment): void {
    env.on('load', (name, source) => {
      if (typeof source?.src === 'string') this.#bySource.set(source.src, name);
    });
  }

  /** The default fragment name of a tag at 1-based `line` of the template whose source is `source`. */
  nameFor(source: string, line: number): string {
    const template = this.#bySource.get(source) ?? `string-${createHash('sha1').update(source).digest('hex').slice(0, 12)}`;
    return `${template}${line}`;
  }
}
