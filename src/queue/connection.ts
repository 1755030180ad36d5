/** Redis connections for BullMQ. Producers fail fast when Redis is down; workers wait for it to come back. */
import { Redis } from 'ioredis';

/** How a connection is used. */
export type RedisRole = 'producer' | 'worker' | 'client';

/**
 * Opens a Redis connection configured for its role.
 * @param url - `redis://host:port/db`.
 * @param role - `producer`: BullMQ Queue connection; commands fail at once while disconnected (the HTTP caller
 *   gets 503 and retries; BullMQ itself waits for the first connection);
 *   `worker`: blocking commands may wait forever (BullMQ requires `maxRetriesPerRequest: null`);
 *   `client`: short commands (locks, cursors, health); queued briefly while reconnecting, failing after one retry.
 * @returns the connection.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  return new Redis(url, {
    lazyConnect: role === 'producer',
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role !== 'producer',
    connectTimeout: 5_000,
    // Reconnect with a capped backoff; never give up (a Redis restart must not kill the process).
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}

/** While Redis stays unreachable, how often a reminder is logged (the first failure is logged at once). */
export const REDIS_DOWN_LOG_INTERVAL_MS = 60_000;

/** The few fields of a logger this needs (pino's `Logger` fits). */
interface StatusLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * One view of Redis's reachability for a whole process. Every connection, queue and worker reports its errors
 * here instead of logging them: while Redis is down, each reconnect attempt of each of them fails, which would
 * be a log line every few hundred milliseconds per connection. This logs the change of state once (`redis
 * unavailable`, `redis available again`) and, while it lasts, one reminder per interval with the number of
 * failures seen.
 */
export class RedisStatus {
  private downSince: number | undefined;
  private lastLoggedAt = 0;
  private failures = 0;

  /**
   * @param log - where state changes go.
   * @param intervalMs - how often a reminder is logged while Redis stays down.
   * @param now - the clock (tests pass their own).
   */
  constructor(
    private readonly log: StatusLog,
    private readonly intervalMs = REDIS_DOWN_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * Reports a failure of a connection, queue or worker.
   * @param source - what failed: `producer`, `worker`, `queue`…
   * @param err - the error.
   * @returns whether it was a connection failure (handled here); anything else is the caller's to log.
   */
  failed(source: string, err: unknown): boolean {
    if (!isConnectionError(err)) return false;
    const now = this.now();
    this.failures++;
    const code = (err as { code?: unknown }).code;
    if (this.downSince === undefined) {
      this.downSince = now;
      this.lastLoggedAt = now;
      this.log.warn({ source, code: typeof code === 'string' ? code : undefined }, 'redis unavailable');
    } else if (now - this.lastLoggedAt >= this.intervalMs) {
      this.lastLoggedAt = now;
      this.log.warn({ downMs: now - this.downSince, failures: this.failures }, 'redis still unavailable');
    }
    return true;
  }

  /** Whether the last report said Redis cannot be reached. */
  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** Reports that a connection is ready again. */
  recovered(): void {
    if (this.downSince === undefined) return;
    this.log.info({ downMs: this.now() - this.downSince, failures: this.failures }, 'redis available again');
    this.downSince = undefined;
    this.failures = 0;
  }

  /**
   * Routes a connection's `error` and `ready` events here.
   * @param redis - the connection.
   * @param source - its role, for the first log line.
   * @param otherwise - logs errors that are not connection failures.
   */
  watch(redis: Redis, source: string, otherwise: (err: unknown) => void): void {
    redis.on('error', (err: unknown) => {
      if (!this.failed(source, err)) otherwise(err);
    });
    redis.on('ready', () => this.recovered());
  }
}

/** Error codes (and ioredis messages) that mean "Redis cannot be reached", not a failed command. */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Whether an error says Redis is unreachable (as opposed to a command Redis refused).
 * @param err - anything thrown or emitted.
 * @returns true for connection failures.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return /^(Connection is closed|connect ETIMEDOUT|Stream isn't writeable|Reached the max retries per request limit)/.test(err.message);
}

/**
 * Closes a connection without waiting on a Redis that is gone: `quit()` when connected (pending replies arrive),
 * bounded by `timeoutMs`; otherwise, or after that, `disconnect()` (a queued `quit` would wait for a reconnect).
 * @param redis - the connection.
 * @param timeoutMs - how long a `quit` may take.
 */
export async function closeRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.quit().catch((err: unknown) => void err), // the connection may drop meanwhile: closed either way
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
  if (redis.status !== 'end') redis.disconnect();
}
