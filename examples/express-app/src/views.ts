import { fileURLToPath } from 'node:url';
import type { Cache } from '@larder/core';
import { addCacheExtension } from '@larder/nunjucks';
import type { Express } from 'express';
import nunjucks from 'nunjucks';

const views = fileURLToPath(new URL('../views', import.meta.url));

/**
 * Renders `res.render('home.njk', ...)` with nunjucks from ../views, with `<% %>` block tags and
 * the `<% cache ttl, 'name' %>` fragment tag over `cache`. Express renders through the
 * environment's callback API, so fragments read and write the cache asynchronously.
 */
export function configureViews(app: Express, cache: Cache): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(views), {
    autoescape: true,
    tags: { blockStart: '<%', blockEnd: '%>' },
  });
  addCacheExtension(env, cache);
  env.express(app);
  return env;
}
