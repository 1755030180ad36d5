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
