/**
 * Runs after every test file (vitest `setupFiles`): no key without an expiry may be left in Redis under a prefix
 * the file got from `uniquePrefix()`. Redis is shared, so a test that forgets its keys leaves them for good.
 */
import { afterAll, expect } from 'vitest';
import { leftoverKeys } from './redis.js';

afterAll(async () => {
  expect(await leftoverKeys(), 'Redis keys without TTL left by this test file').toEqual([]);
});
