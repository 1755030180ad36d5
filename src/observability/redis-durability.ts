/**
 * Does Redis keep what Chartmine acknowledged? A `202` from `/notify` means "queued in Redis": without the
 * append-only file a Redis crash loses the jobs of the last second or more (RDB snapshots are minutes apart), and
 * with an eviction policy other than `noeviction` Redis may drop queued jobs when memory runs short. Read once at
 * start-up with `CONFIG GET`; managed Redis services often disable CONFIG, which gives `unknown` and a warning.
 */
import type { Redis } from 'ioredis';

/** What Redis reported (`unknown` when CONFIG is not allowed). */
export interface RedisDurability {
  readonly appendonly: string;
  /** RDB snapshot schedule (`""` when off). */
  readonly save: string;
  readonly maxmemoryPolicy: string;
  /** One line per problem; empty when Redis is set up as Chartmine needs it. */
  readonly warnings: readonly string[];
}

/** Shown for settings Redis would not tell. */
export const UNKNOWN = 'unknown';

/**
 * Reads the persistence and eviction settings.
 * @param redis - a connection.
 * @returns the settings and the warnings they call for (never throws).
 */
export async function readRedisDurability(redis: Pick<Redis, 'config'>): Promise<RedisDurability> {
  const get = async (name: string): Promise<string> => {
    try {
      const reply = (await redis.config('GET', name)) as unknown as string[];
      return Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : UNKNOWN;
    } catch (err: unknown) {
      void err; // CONFIG disabled or not permitted (managed Redis): reported as unknown
      return UNKNOWN;
    }
  };
  const [appendonly, save, maxmemoryPolicy] = [await get('appendonly'), await get('save'), await get('maxmemory-policy')];
  return { appendonly, save, maxmemoryPolicy, warnings: assessRedisDurability(appendonly, save, maxmemoryPolicy) };
}

/**
 * The warnings for a set of settings.
 * @param appendonly - `yes`, `no` or `unknown`.
 * @param save - the RDB schedule or `unknown`.
 * @param maxmemoryPolicy - the eviction policy or `unknown`.
 * @returns the warnings.
 */
export function assessRedisDurability(appendonly: string, save: string, maxmemoryPolicy: string): string[] {
  const warnings: string[] = [];
  if (appendonly === UNKNOWN || maxmemoryPolicy === UNKNOWN) {
    warnings.push('Redis CONFIG is not available (managed Redis?): make sure it runs with appendonly yes and maxmemory-policy noeviction');
  }
  if (appendonly !== UNKNOWN && appendonly !== 'yes') {
    warnings.push(
      save === '' || save === UNKNOWN
        ? 'Redis has no persistence (appendonly no, no RDB snapshots): a Redis restart loses every queued note; set appendonly yes'
        : 'Redis appendonly is off: a Redis crash loses notes queued since its last RDB snapshot; set appendonly yes'
    );
  }
  if (maxmemoryPolicy !== UNKNOWN && maxmemoryPolicy !== 'noeviction') {
    warnings.push(`Redis maxmemory-policy is ${maxmemoryPolicy}: Redis may evict queued jobs under memory pressure; set noeviction`);
  }
  return warnings;
}
