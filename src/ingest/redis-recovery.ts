/**
 * Catch-up after Redis lost its data (a restart without persistence, a flush, a failover to an empty replica).
 * Queued jobs, the catch-up cursor and the pending flag all live in Redis, so after such a loss nothing would
 * re-find the notes whose jobs were lost. Two things fix that:
 *
 * - a **watermark** kept outside Redis (a file in DATA_DIR): an instant such that every note changed up to it has a
 *   finished job. It advances only while nothing is queued, running or waiting in the change relay: then every
 *   note queued so far has finished, so the catch-up cursor read *before* that observation (and, for the embedded
 *   store, whose notes all pass through the relay, the time of the observation) is safe;
 * - an **epoch key** in Redis, set at start-up: when it is missing at start-up or after a reconnect while a watermark
 *   exists, Redis lost its data. The cursor is then set back to the watermark and a catch-up requested, which
 *   re-finds every note changed since (job ids collapse what was not lost).
 */
import type { Logger } from '../observability/logger.js';

/** How often the watermark is brought forward. */
export const WATERMARK_INTERVAL_MS = 15_000;
/** The embedded store's watermark stays this far behind the observation (notes stamped just before it). */
export const WATERMARK_MARGIN_MS = 1_000;

/** Where the watermark is kept (a file in DATA_DIR, or memory with STORE=memory). */
export interface WatermarkStore {
  read(): string | undefined;
  write(instant: string): void;
}

/** The Redis side: the epoch key and the cursor. */
export interface RecoveryState {
  readCursor(): Promise<string | undefined>;
  /** Sets the cursor, also backwards. */
  resetCursor(instant: string): Promise<void>;
  /** Whether the epoch key exists. */
  hasEpoch(): Promise<boolean>;
  markEpoch(): Promise<void>;
}

/** Dependencies of the recovery. */
export interface RedisRecoveryDeps {
  readonly state: RecoveryState;
  readonly watermark: WatermarkStore;
  /** True when no job is waiting, delayed or running. */
  readonly queueIdle: () => Promise<boolean>;
  /** True when the embedded store's change relay has nothing left to queue (always true without one). */
  readonly relayIdle: () => boolean;
  /** Requests a catch-up (durable in Redis). */
  readonly requestCatchUp: (reason: string) => Promise<void>;
  /** The embedded store: every note change passes through this process, so the observation time is safe too. */
  readonly embedded: boolean;
  /**
   * Catch up from the watermark at every start (the embedded store kept on disk): a note written just before a
   * crash, whose change was still waiting in the in-memory relay, is durable but was never queued.
   */
  readonly catchUpAtStart?: boolean;
  readonly log: Logger;
  readonly now?: () => number;
}

/** Keeps the watermark and recovers from a Redis that lost its data. */
export class RedisRecovery {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RedisRecoveryDeps) {}

  /** Checks the epoch (recovering if Redis lost its data), then advances the watermark every interval. */
  async start(intervalMs = WATERMARK_INTERVAL_MS): Promise<void> {
    if (this.deps.watermark.read() === undefined) {
      // First start on this data folder (or in memory): nothing was queued before now, so a missing epoch key only
      // means a fresh Redis prefix, not a loss.
      await this.deps.state.markEpoch();
      this.deps.watermark.write(new Date(this.now()).toISOString());
    }
    const lost = await this.checkEpoch();
    const watermark = this.deps.watermark.read() as string;
    if (this.deps.catchUpAtStart && !lost) {
      const cursor = await this.deps.state.readCursor();
      if (cursor === undefined || Date.parse(cursor) < Date.parse(watermark)) await this.deps.state.resetCursor(watermark);
      await this.deps.requestCatchUp('start-up');
    }
    this.timer = setInterval(() => void this.advance(), intervalMs);
    this.timer.unref();
  }

  /**
   * Checks whether Redis still holds its data (call after a reconnect too); if not, catches up from the watermark.
   * @returns true when a loss was found and a catch-up requested.
   */
  checkEpoch(): Promise<boolean> {
    const run = this.chain.then(() => this.checkEpochNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Brings the watermark forward if nothing is in flight. */
  advance(): Promise<void> {
    const run = this.chain.then(() => this.advanceNow());
    this.chain = run.catch((err: unknown) => this.deps.log.warn({ err }, 'catch-up watermark not advanced'));
    return run.catch(() => undefined);
  }

  /** Stops the timer (a last advance runs first). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.advance();
  }

  private async checkEpochNow(): Promise<boolean> {
    if (await this.deps.state.hasEpoch()) return false;
    const watermark = this.deps.watermark.read();
    let lost = false;
    if (watermark !== undefined) {
      lost = true;
      this.deps.log.warn(
        { watermark, redis: 'data-lost' },
        'REDIS LOST ITS DATA (restart without persistence?): queued notes are re-found by a catch-up from the last point every job had finished'
      );
      await this.deps.state.resetCursor(watermark);
      await this.deps.requestCatchUp('redis-data-lost');
    }
    await this.deps.state.markEpoch();
    return lost;
  }

  private async advanceNow(): Promise<void> {
    const observedAt = this.now();
    const cursor = await this.deps.state.readCursor();
    if (!this.deps.relayIdle() || !(await this.deps.queueIdle()) || !this.deps.relayIdle()) return;
    if (!(await this.deps.state.hasEpoch())) return; // Redis was just emptied: checkEpoch decides first
    const candidates = [cursor ? Date.parse(cursor) : NaN, this.deps.embedded ? observedAt - WATERMARK_MARGIN_MS : NaN].filter(Number.isFinite);
    if (candidates.length === 0) return;
    const next = Math.max(...candidates);
    const current = Date.parse(this.deps.watermark.read() ?? '');
    if (!Number.isFinite(current) || next > current) this.deps.watermark.write(new Date(next).toISOString());
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
