/**
 * Ingest state in Redis, under QUEUE_PREFIX: the catch-up cursor, the pending catch-up flag and the event number of
 * each topic subscription. Values are timestamps and counters; keys hold a hash of the subscription reference.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { UpstreamError } from '../errors.js';
import type { CatchUpState } from '../ingest/catch-up.js';
import type { EventNumberState } from '../ingest/handle-notification.js';
import type { RecoveryState } from '../ingest/redis-recovery.js';

/** Sets KEYS[1] to ARGV[1] when ARGV[2] (a number) is greater than the number stored in KEYS[2]. */
const RAISE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[2]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/** Catch-up cursor, pending flag and event numbers, in Redis. */
export class RedisIngestState implements CatchUpState, EventNumberState, RecoveryState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'ingest', ...parts].join(':');
  }

  private subscriptionKey(subscription: string): string {
    return this.key('events', createHash('sha256').update(subscription).digest('hex').slice(0, 32));
  }

  async readCursor(): Promise<string | undefined> {
    return (await this.run(() => this.redis.get(this.key('cursor')))) ?? undefined;
  }

  async advanceCursor(lastUpdated: string): Promise<void> {
    const ms = Date.parse(lastUpdated);
    if (!Number.isFinite(ms)) return; // not an instant: nothing to advance to
    await this.run(() => this.redis.eval(RAISE_SCRIPT, 2, this.key('cursor'), this.key('cursor-ms'), lastUpdated, String(ms)));
  }

  /** Sets the cursor, also backwards (a catch-up after Redis lost its data starts from the watermark). */
  async resetCursor(lastUpdated: string): Promise<void> {
    const ms = Date.parse(lastUpdated);
    if (!Number.isFinite(ms)) return;
    await this.run(() => this.redis.mset(this.key('cursor'), lastUpdated, this.key('cursor-ms'), String(ms)));
  }

  /** Whether this Redis still holds the epoch key set at start-up (absent: Redis lost its data). */
  async hasEpoch(): Promise<boolean> {
    return (await this.run(() => this.redis.exists(this.key('epoch')))) === 1;
  }

  async markEpoch(): Promise<void> {
    await this.run(() => this.redis.set(this.key('epoch'), new Date().toISOString()));
  }

  async markPending(): Promise<void> {
    await this.run(() => this.redis.set(this.key('catch-up-pending'), '1'));
  }

  async takePending(): Promise<boolean> {
    return (await this.run(() => this.redis.getdel(this.key('catch-up-pending')))) !== null;
  }

  async lastEventNumber(subscription: string): Promise<number | undefined> {
    const value = await this.run(() => this.redis.get(`${this.subscriptionKey(subscription)}:n`));
    return value === null ? undefined : Number(value);
  }

  async recordEventNumber(subscription: string, eventNumber: number): Promise<void> {
    const key = this.subscriptionKey(subscription);
    await this.run(() => this.redis.eval(RAISE_SCRIPT, 2, `${key}:n`, `${key}:n`, String(eventNumber), String(eventNumber)));
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err: unknown) {
      throw new UpstreamError('ingest state in Redis unavailable', { cause: err });
    }
  }
}
