import { describe } from 'node:test';
import { serveSuite, SuiteContext } from './conformance-kit.js';
import type { ResponseCacheTarget } from './conformance-target.js';
import { freshnessConformance } from './freshness-conformance.js';
import { keyConformance } from './key-conformance.js';
import { lifecycleConformance } from './lifecycle-conformance.js';
import { storageConformance } from './storage-conformance.js';
import { validatorConformance } from './validator-conformance.js';

/**
 * The behaviour of whole-response caching as node:test tests (a `describe` block named after
 * the target), run against every framework adapter so that they are held to one behaviour: the
 * suite declares its routes framework-neutrally, the target starts one real app of its framework
 * with all of them on the cache it opens, and every test talks to it over real HTTP. Each test has
 * routes of its own, so the order does not matter; the handlers count their calls, so a test can
 * tell a page served from the cache from one the handler made.
 */
export function responseCacheConformance(target: ResponseCacheTarget): void {
  describe(`response cache conformance: ${target.name}`, () => {
    const ctx = new SuiteContext();
    serveSuite(ctx, target);

    storageConformance(ctx);
    validatorConformance(ctx);
    keyConformance(ctx);
    lifecycleConformance(ctx);
    freshnessConformance(ctx);
  });
}
