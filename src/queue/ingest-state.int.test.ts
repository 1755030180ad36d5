import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../test/support/redis.js';
import { UpstreamError } from '../errors.js';
import { RedisIngestState } from './ingest-state.js';

let redis: Redis;
const prefix = uniquePrefix();

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

test('the cursor and event numbers only move forward; the pending flag is taken once', async () => {
  const state = new RedisIngestState(redis, prefix);
  expect(await state.readCursor()).toBeUndefined();
  await state.advanceCursor('2026-03-02T09:15:00.000Z');
  await state.advanceCursor('2026-03-02T09:14:00.000Z');
  await state.advanceCursor('not a date');
  expect(await state.readCursor()).toBe('2026-03-02T09:15:00.000Z');
  await state.advanceCursor('2026-03-02T10:15:00.000+01:00'); // the same instant: unchanged
  expect(await state.readCursor()).toBe('2026-03-02T09:15:00.000Z');

  expect(await state.lastEventNumber('https://ehr.example.org/fhir/Subscription/s1')).toBeUndefined();
  await state.recordEventNumber('https://ehr.example.org/fhir/Subscription/s1', 7);
  await state.recordEventNumber('https://ehr.example.org/fhir/Subscription/s1', 5);
  expect(await state.lastEventNumber('https://ehr.example.org/fhir/Subscription/s1')).toBe(7);
  expect(await state.lastEventNumber('https://ehr.example.org/fhir/Subscription/s2')).toBeUndefined();

  expect(await state.takePending()).toBe(false);
  await state.markPending();
  await state.markPending();
  expect(await state.takePending()).toBe(true);
  expect(await state.takePending()).toBe(false);
  // keys hold a hash of the subscription, never the URL
  const keys = await redis.keys(`${prefix}:*`);
  expect(keys.join(' ')).not.toContain('ehr.example.org');
});

test('Redis unavailable is a retryable UpstreamError', async () => {
  const closed = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  await expect(new RedisIngestState(closed, prefix).markPending()).rejects.toBeInstanceOf(UpstreamError);
  closed.disconnect();
});
