import { describe, expect, test } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { findGap, handleNotification, type EventNumberState } from './handle-notification.js';
import type { NoteEvent } from './note-event.js';
import type { TopicNotification } from './notification.js';

const topic = (over: Partial<TopicNotification>): TopicNotification => ({
  kind: 'topic',
  form: 'topic-r4b-r5',
  subscription: 'Subscription/s1',
  type: 'event-notification',
  eventsSinceStart: undefined,
  eventNumbers: [],
  events: [],
  needsCatchUp: false,
  ...over,
});

describe('findGap', () => {
  test('consecutive numbers are no gap; the first notification may start at 1', () => {
    expect(findGap(topic({ eventNumbers: [1] }), undefined)).toBeUndefined();
    expect(findGap(topic({ eventNumbers: [6, 7] }), 5)).toBeUndefined();
    expect(findGap(topic({ eventNumbers: [3] }), 5)).toBeUndefined(); // a late, out-of-order delivery
  });

  test('a skipped number is a gap', () => {
    expect(findGap(topic({ eventNumbers: [7] }), 5)).toEqual({ from: 6, to: 6 });
    expect(findGap(topic({ eventNumbers: [3] }), undefined)).toEqual({ from: 1, to: 2 });
    expect(findGap(topic({ eventNumbers: [6, 9] }), 5)).toEqual({ from: 7, to: 8 });
  });

  test('heartbeats and handshakes compare their event count', () => {
    expect(findGap(topic({ type: 'heartbeat', eventsSinceStart: 5 }), 5)).toBeUndefined();
    expect(findGap(topic({ type: 'heartbeat', eventsSinceStart: 6 }), 5)).toEqual({ from: 6, to: 6 });
    expect(findGap(topic({ type: 'handshake', eventsSinceStart: 0 }), undefined)).toBeUndefined();
  });
});

function fakes(stored?: number) {
  const accepted: NoteEvent[] = [];
  const catchUps: string[] = [];
  const numbers = new Map<string, number>(stored === undefined ? [] : [['Subscription/s1', stored]]);
  const events: EventNumberState = {
    lastEventNumber: async (s) => numbers.get(s),
    recordEventNumber: async (s, n) => void numbers.set(s, Math.max(n, numbers.get(s) ?? -1)),
  };
  const deps = {
    sink: { accept: async (e: readonly NoteEvent[]) => (accepted.push(...e), e.map((x) => `note-${x.noteId}`)) },
    catchUp: { request: async (reason: string) => void catchUps.push(reason) },
    events,
    log: createLogger('silent'),
  };
  return { deps, accepted, catchUps, numbers };
}

describe('handleNotification', () => {
  test('handshake and heartbeat without a gap: 200, nothing queued, the count recorded', async () => {
    const f = fakes(2);
    const result = await handleNotification(topic({ type: 'heartbeat', eventsSinceStart: 2 }), 'r1', f.deps);
    expect(result).toEqual({ status: 200, jobIds: [], catchUp: undefined });
    expect(f.accepted).toEqual([]);
    expect(f.catchUps).toEqual([]);
  });

  test('a gap queues the events it has and requests a catch-up; the number is recorded', async () => {
    const f = fakes(1);
    const result = await handleNotification(topic({ eventNumbers: [3], events: [{ noteId: 'a', interaction: 'upsert' }] }), 'r1', f.deps);
    expect(result).toEqual({ status: 202, jobIds: ['note-a'], catchUp: 'event-gap' });
    expect(f.catchUps).toEqual(['event-gap']);
    expect(f.numbers.get('Subscription/s1')).toBe(3);
  });

  test('empty content requests a catch-up; a ping too', async () => {
    const f = fakes(2);
    expect((await handleNotification(topic({ eventNumbers: [3], needsCatchUp: true }), 'r1', f.deps)).catchUp).toBe('empty-content');
    expect(await handleNotification({ kind: 'ping', form: 'rest-hook-empty' }, 'r2', f.deps)).toEqual({ status: 202, jobIds: [], catchUp: 'ping' });
    expect(f.catchUps).toEqual(['empty-content', 'ping']);
  });

  test('when queueing fails the event number is not recorded, so a resend still sees the gap', async () => {
    const f = fakes(1);
    f.deps.sink.accept = async () => {
      throw new Error('redis down');
    };
    await expect(handleNotification(topic({ eventNumbers: [3], events: [{ noteId: 'a', interaction: 'upsert' }] }), 'r1', f.deps)).rejects.toThrow();
    expect(f.numbers.get('Subscription/s1')).toBe(1);
  });
});
