/**
 * A per-note lock in Redis, so two workers never read-diff-write the same note at once (two versions of one note
 * notified close together, or a reprocess beside a live job). SET NX PX with a random token; released only by its
 * holder (compare-and-delete in Lua); expires on its own if the holder dies.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Long enough for the slowest note (fetch, NLP, write); a crashed worker's lock frees itself after this. */
export const NOTE_LOCK_TTL_MS = 120_000;

const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** Per-note locks. */
export class NoteLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string
  ) {}

  /**
   * Tries to take the note's lock.
   * @param noteId - the DocumentReference id.
   * @returns a release function, or undefined when another holder has it.
   */
  async tryAcquire(noteId: string): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.prefix}:lock:note:${noteId}`;
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', NOTE_LOCK_TTL_MS, 'NX');
    if (ok !== 'OK') return undefined;
    return async () => {
      await this.redis.eval(RELEASE_SCRIPT, 1, key, token);
    };
  }
}
