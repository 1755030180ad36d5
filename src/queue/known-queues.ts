/**
 * Every queue a Chartmine process knows, in one list: the dashboard (`/admin/queues`) and the queue gauges of
 * `/metrics` show each of them. Adding a queue is one line here.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ANALYZE_FEEDBACK_QUEUE } from './analyze-feedback.queue.js';
import { ANALYZE_NOTE_QUEUE } from './analyze-note.queue.js';

/** Queue names, as BullMQ knows them. */
export const KNOWN_QUEUES: readonly string[] = [ANALYZE_NOTE_QUEUE, ANALYZE_FEEDBACK_QUEUE];

/**
 * Opens a `Queue` handle per known queue (cheap: they share the connection and consume nothing).
 * @param connection - a Redis connection (the producer's).
 * @param prefix - the queue key prefix (namespace included).
 * @param onError - handles each queue's `error` events.
 * @returns the queues; close them when done.
 */
export function openKnownQueues(connection: Redis, prefix: string, onError: (err: Error) => void): Queue[] {
  return KNOWN_QUEUES.map((name) => {
    const queue = new Queue(name, { connection, prefix });
    queue.on('error', onError);
    return queue;
  });
}
