/** Real-Redis helpers for tests: a unique key prefix per test, cleanup of everything under it, and a leak check. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** REDIS_URL of the test run (the README's test command needs a Redis on loopback). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Prefixes handed out in this test file; `test/support/redis-leak-check.ts` checks them after the file. */
const issued = new Set<string>();

/** A fresh prefix so parallel tests never see each other's queues. */
export function uniquePrefix(): string {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  issued.add(prefix);
  return prefix;
}

/**
 * Deletes every key under the prefix, including derived prefixes (`<prefix>-a:…`) tests build from it.
 * @param prefix - the prefix.
 */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  try {
    for (const keys of await scanKeys(redis, prefix)) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/**
 * Keys without an expiry left under the prefixes this file was given: each test removes what it creates.
 * @returns the leftover keys (empty when clean).
 */
export async function leftoverKeys(): Promise<string[]> {
  if (issued.size === 0) return [];
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  try {
    const left: string[] = [];
    for (const prefix of issued) {
      for (const keys of await scanKeys(redis, prefix)) {
        for (const key of keys) if ((await redis.ttl(key)) === -1) left.push(key);
      }
    }
    return left;
  } finally {
    redis.disconnect();
  }
}

async function scanKeys(redis: Redis, prefix: string): Promise<string[][]> {
  const batches: string[][] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) batches.push(keys);
    cursor = next;
  } while (cursor !== '0');
  return batches;
}
