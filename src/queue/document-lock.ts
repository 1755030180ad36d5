/**
 * A per-note lease in Redis, so two workers never read-diff-write the same note at once (two versions of one note
 * notified close together, or a reprocess beside a live job).
 *
 * - The lease is short (NOTE_LEASE_MS) and renewed every NOTE_LEASE_RENEW_MS while its holder is alive, so a crashed
 *   worker's lease frees itself within seconds, while a slow run (a slow FHIR server, a long note) keeps it.
 * - Taking the lease increments a per-note fencing counter; the holder's token is that number. Before each write the
 *   holder checks, in one Lua script, that the lease is still its own and that no later holder took a token. A run
 *   whose lease expired (its process stalled, Redis unreachable) therefore never writes after a later run started.
 * - Released only by its holder (compare-and-delete in Lua).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LeaseLostError } from '../errors.js';

/** How long a lease lives without renewal: a crashed worker's note is free again after at most this. */
export const NOTE_LEASE_MS = 15_000;
/** Renewal period while the holder runs (a third of the lease: two renewals may fail before it expires). */
export const NOTE_LEASE_RENEW_MS = 5_000;

/** KEYS[1] lease, KEYS[2] fence counter; ARGV[1] holder id, ARGV[2] ttl. Returns the new token or nil. */
const ACQUIRE_SCRIPT = `
if redis.call("exists", KEYS[1]) == 1 then return nil end
local token = redis.call("incr", KEYS[2])
redis.call("set", KEYS[1], ARGV[1] .. ":" .. token, "PX", ARGV[2])
return token`;
/** Renews only the holder's own lease. */
const RENEW_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
/** 1 when the lease is the holder's and its token is the latest one issued. */
const CHECK_SCRIPT = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call("get", KEYS[2]) ~= ARGV[2] then return 0 end
return 1`;
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** A held lease on one note. */
export interface NoteLease {
  /** The fencing token: larger for every later holder of the same note. */
  readonly token: number;
  /** Aborted when the lease is lost (renewal refused or Redis unreachable past the lease). */
  readonly signal: AbortSignal;
  /**
   * Throws LeaseLostError unless this is still the note's current lease (one round trip; call right before a write).
   */
  assertHeld(): Promise<void>;
  /** Stops renewing and deletes the lease if it is still this holder's. */
  release(): Promise<void>;
}

/** Options for tests: shorter leases. */
export interface NoteLeaseOptions {
  readonly leaseMs?: number;
  readonly renewMs?: number;
}

/** Per-note leases with fencing tokens. */
export class NoteLocks {
  private readonly leaseMs: number;
  private readonly renewMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: NoteLeaseOptions = {}
  ) {
    this.leaseMs = options.leaseMs ?? NOTE_LEASE_MS;
    this.renewMs = options.renewMs ?? NOTE_LEASE_RENEW_MS;
  }

  /**
   * Tries to take the note's lease.
   * @param noteId - the DocumentReference id.
   * @returns the lease, or undefined when another holder has it.
   */
  async tryAcquire(noteId: string): Promise<NoteLease | undefined> {
    const key = this.leaseKey(noteId);
    const fenceKey = `${this.prefix}:fence:note:${noteId}`;
    const holder = randomUUID();
    const token = (await this.redis.eval(ACQUIRE_SCRIPT, 2, key, fenceKey, holder, this.leaseMs)) as number | null;
    if (token === null) return undefined;
    const value = `${holder}:${token}`;
    const controller = new AbortController();
    let renewedAt = Date.now();
    const lose = (reason: string): void => {
      if (!controller.signal.aborted) controller.abort(new LeaseLostError(`DocumentReference/${noteId}`, reason));
    };
    const timer = setInterval(() => {
      this.redis.eval(RENEW_SCRIPT, 1, key, value, this.leaseMs).then(
        (ok) => {
          if (Number(ok) === 1) renewedAt = Date.now();
          else lose('taken over');
        },
        () => {
          // Redis unreachable: the lease may still be ours until it would have expired.
          if (Date.now() - renewedAt >= this.leaseMs) lose('not renewed');
        }
      );
    }, this.renewMs);
    timer.unref();
    return {
      token,
      signal: controller.signal,
      assertHeld: async () => {
        if (controller.signal.aborted) throw controller.signal.reason as Error;
        let held: unknown;
        try {
          held = await this.redis.eval(CHECK_SCRIPT, 2, key, fenceKey, value, String(token));
        } catch (err: unknown) {
          throw new LeaseLostError(`DocumentReference/${noteId}`, 'lease could not be checked', { cause: err });
        }
        if (Number(held) !== 1) {
          lose('taken over');
          throw controller.signal.reason as Error;
        }
      },
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE_SCRIPT, 1, key, value);
      },
    };
  }

  /**
   * How long the note's current lease has left (ms), 0 when free.
   * @param noteId - the DocumentReference id.
   * @returns the remaining time.
   */
  async remainingMs(noteId: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.leaseKey(noteId)));
  }

  private leaseKey(noteId: string): string {
    return `${this.prefix}:lock:note:${noteId}`;
  }
}
