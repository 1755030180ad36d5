/**
 * The cache port of the terminology client, and its Redis adapter. The adapter takes any client with ioredis'
 * `get`/`set(key, value, 'EX', seconds)` shape, so `terminology/` does not import ioredis: `main.ts` passes its
 * connection. Cached values are terminology answers (codes and displays), never note text.
 */

/** Where terminology answers are cached. */
export interface TerminologyCache {
  /** The cached value, or undefined on a miss (or when the cache is unavailable). */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/** The part of an ioredis client the cache uses. */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
}

/** Counts of cache use, for metrics. */
export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

/** Key prefix of the terminology cache. */
export const TERMINOLOGY_CACHE_PREFIX = 'chartmine:terminology:';

/**
 * A cache on Redis. Redis failures are counted and treated as misses: the terminology server is the source of
 * truth, so a cache outage slows coding down but never fails a job.
 * @param redis - an ioredis client (or anything with its `get`/`set` shape).
 * @param prefix - key prefix (tests use a random one).
 * @returns the cache and its counters.
 */
export function createRedisTerminologyCache(
  redis: RedisLike,
  prefix: string = TERMINOLOGY_CACHE_PREFIX
): TerminologyCache & { readonly stats: CacheStats } {
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  return {
    stats,
    async get(key) {
      try {
        const value = await redis.get(prefix + key);
        if (value === null) stats.misses++;
        else stats.hits++;
        return value ?? undefined;
      } catch (err: unknown) {
        stats.errors++;
        void err; // counted above; a failed cache read is a miss
        return undefined;
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        await redis.set(prefix + key, value, 'EX', ttlSeconds);
      } catch (err: unknown) {
        stats.errors++;
        void err; // counted above; the answer is still returned to the caller
      }
    },
  };
}

/**
 * An in-memory cache (tests, the CLI). TTLs are ignored: the process is short-lived.
 * @returns the cache.
 */
export function createMemoryTerminologyCache(): TerminologyCache {
  const map = new Map<string, string>();
  return {
    get: (key) => Promise.resolve(map.get(key)),
    set: (key, value) => {
      map.set(key, value);
      return Promise.resolve();
    },
  };
}
