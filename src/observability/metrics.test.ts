import { describe, expect, test } from 'vitest';
import { createMetrics, QUEUE_SCRAPE_TIMEOUT_MS, type GaugedQueue } from './metrics.js';

/** A queue whose Redis never answers (BullMQ queues commands while Redis is down). */
const HANGING: GaugedQueue = {
  name: 'hanging',
  getJobCounts: () => new Promise(() => undefined),
  getJobs: () => new Promise(() => undefined),
} as unknown as GaugedQueue;

/** A queue that answers: 3 waiting, the oldest queued 90 s ago. */
const ANSWERING: GaugedQueue = {
  name: 'answering',
  getJobCounts: async () => ({ waiting: 3, active: 1, delayed: 0, prioritized: 0, failed: 2, completed: 5 }),
  getJobs: async () => [{ timestamp: Date.now() - 90_000 }],
} as unknown as GaugedQueue;

describe('queue gauges', () => {
  test('are read at scrape time', async () => {
    const metrics = createMetrics();
    metrics.watchQueues([ANSWERING]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('chartmine_queue_jobs{queue="answering",state="waiting"} 3');
    expect(text).toContain('chartmine_queue_jobs{queue="answering",state="failed"} 2');
    const age = Number(/chartmine_queue_oldest_waiting_age_seconds\{queue="answering"\} (\S+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(100);
  });

  test('a Redis that does not answer leaves them out after a bounded wait; the rest of the scrape goes out', async () => {
    const metrics = createMetrics();
    metrics.watchQueues([HANGING, ANSWERING]);
    const started = Date.now();
    const text = await metrics.registry.metrics();
    expect(Date.now() - started).toBeLessThan(QUEUE_SCRAPE_TIMEOUT_MS * 2 + 1_000);
    expect(text).not.toContain('queue="hanging"');
    expect(text).toContain('chartmine_queue_jobs{queue="answering",state="waiting"} 3');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

test('two registries do not share samples (one per app)', async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.jobs.inc({ queue: 'q', outcome: 'written' });
  expect(await a.registry.metrics()).toContain('chartmine_jobs_total{queue="q",outcome="written"} 1');
  expect(await b.registry.metrics()).not.toContain('outcome="written"');
});
