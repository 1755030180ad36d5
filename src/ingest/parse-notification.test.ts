import { describe, expect, test } from 'vitest';
import { InvalidNotificationError } from '../errors.js';
import { parseNotification } from './parse-notification.js';

const json = (value: unknown, contentType = 'application/fhir+json') => ({
  method: 'POST',
  path: '',
  contentType,
  body: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err: unknown) {
    return err instanceof InvalidNotificationError ? err.status : -1;
  }
  return undefined;
}

describe('parseNotification (rest-hook with full payload)', () => {
  test('a DocumentReference becomes one upsert event with its version', () => {
    expect(
      parseNotification(json({ resourceType: 'DocumentReference', id: 'doc-1', meta: { versionId: '3' } }))
    ).toEqual([{ noteId: 'doc-1', versionId: '3', interaction: 'upsert' }]);
  });

  test('a missing version is left for the producer to pin', () => {
    expect(parseNotification(json({ resourceType: 'DocumentReference', id: 'doc-1' }, 'application/json'))).toEqual([
      { noteId: 'doc-1', interaction: 'upsert' },
    ]);
  });

  test('malformed JSON is 400 and the message does not echo the body', () => {
    const body = '{"resourceType": "DocumentReference", "text": "patient has HIV"';
    let error: unknown;
    try {
      parseNotification(json(body));
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidNotificationError);
    expect((error as InvalidNotificationError).status).toBe(400);
    expect((error as Error).message).not.toContain('HIV');
  });

  test('wrong media type is 415; empty body is 400', () => {
    expect(statusOf(() => parseNotification(json({ resourceType: 'DocumentReference', id: 'x' }, 'text/plain')))).toBe(415);
    expect(statusOf(() => parseNotification({ method: 'POST', path: '', contentType: 'application/fhir+json', body: Buffer.alloc(0) }))).toBe(400);
  });

  test('resources it cannot process are 422', () => {
    expect(statusOf(() => parseNotification(json({ resourceType: 'Patient', id: 'p1' })))).toBe(422);
    expect(statusOf(() => parseNotification(json({ resourceType: 'DocumentReference' })))).toBe(422);
    expect(statusOf(() => parseNotification(json({ resourceType: 'DocumentReference', id: 'bad id/../x' })))).toBe(422);
    expect(statusOf(() => parseNotification(json([1, 2])))).toBe(422);
  });

  test('an unexpected resourceType value is not echoed back', () => {
    try {
      parseNotification(json({ resourceType: '<script>alert(1)</script>', id: 'x' }));
    } catch (err: unknown) {
      expect((err as Error).message).not.toContain('script');
    }
  });
});
