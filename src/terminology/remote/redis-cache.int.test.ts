import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisTerminologyCache } from './terminology-cache.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = `test:terminology:${randomUUID()}:`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('Redis terminology cache (real Redis)', () => {
  it('stores with a TTL and reads back', async () => {
    await redis.connect();
    const cache = createRedisTerminologyCache(redis, prefix);
    expect(await cache.get('k1')).toBeUndefined();
    await cache.set('k1', '{"resourceType":"Parameters"}', 60);
    expect(await cache.get('k1')).toBe('{"resourceType":"Parameters"}');
    const ttl = await redis.ttl(`${prefix}k1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(cache.stats).toEqual({ hits: 1, misses: 1, errors: 0 });
  });
});
