/** Real-Redis helpers for tests: a unique key prefix per test, and cleanup of everything under it. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** REDIS_URL of the test run (the README's test command needs a Redis on loopback). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh prefix so parallel tests never see each other's queues. */
export function uniquePrefix(): string {
  return `test-${randomUUID().slice(0, 8)}`;
}

/**
 * Deletes every key under the prefix.
 * @param prefix - the prefix.
 */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
