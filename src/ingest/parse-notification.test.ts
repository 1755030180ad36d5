import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InvalidNotificationError } from '../errors.js';
import { parseNotification, type NotificationRequest } from './parse-notification.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/notifications/${name}`, import.meta.url));

const post = (body: Buffer | string | object, contentType: string | undefined = 'application/fhir+json', extra: Partial<NotificationRequest> = {}): NotificationRequest => ({
  method: 'POST',
  path: '',
  contentType,
  body: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  ...extra,
});

function refusal(req: NotificationRequest): { status: number; message: string } | undefined {
  try {
    parseNotification(req);
  } catch (err: unknown) {
    if (!(err instanceof InvalidNotificationError)) throw err;
    return { status: err.status, message: err.message };
  }
  return undefined;
}

const SUBSCRIPTION = 'https://ehr.example.org/fhir/Subscription/chartmine-notes';

describe('R4 rest-hook', () => {
  test('full payload: the DocumentReference becomes one upsert with its version', () => {
    expect(parseNotification(post(fixture('r4-rest-hook-full.json')))).toEqual({
      kind: 'events',
      form: 'rest-hook-full',
      events: [{ noteId: 'note-1', versionId: '1', interaction: 'upsert' }],
    });
  });

  test('a missing version is left for the producer to pin', () => {
    expect(parseNotification(post({ resourceType: 'DocumentReference', id: 'doc-1' }, 'application/json'))).toMatchObject({
      events: [{ noteId: 'doc-1', interaction: 'upsert' }],
    });
  });

  test('empty payload (no body, whatever the content type) is a ping', () => {
    expect(parseNotification(post('', undefined))).toEqual({ kind: 'ping', form: 'rest-hook-empty' });
    expect(parseNotification(post('', 'application/fhir+json'))).toEqual({ kind: 'ping', form: 'rest-hook-empty' });
  });

  test('HAPI style: PUT {endpoint}/DocumentReference/{id} with the resource, DELETE for a deletion', () => {
    const put = { ...post(fixture('r4-rest-hook-full.json')), method: 'PUT', path: 'DocumentReference/note-1' };
    expect(parseNotification(put)).toEqual({ kind: 'events', form: 'rest-hook-path', events: [{ noteId: 'note-1', versionId: '1', interaction: 'upsert' }] });
    const del = { method: 'DELETE', path: 'DocumentReference/note-1', contentType: undefined, body: Buffer.alloc(0) };
    expect(parseNotification(del)).toEqual({ kind: 'events', form: 'rest-hook-path', events: [{ noteId: 'note-1', interaction: 'delete' }] });
  });

  test('HAPI style: the path and the body must name the same note; other types are refused', () => {
    expect(refusal({ ...post(fixture('r4-rest-hook-full.json')), method: 'PUT', path: 'DocumentReference/other' })?.status).toBe(422);
    expect(refusal({ method: 'DELETE', path: 'Patient/p1', contentType: undefined, body: Buffer.alloc(0) })?.status).toBe(422);
    expect(refusal({ method: 'DELETE', path: 'DocumentReference/bad id', contentType: undefined, body: Buffer.alloc(0) })?.status).toBe(422);
    expect(refusal({ method: 'PUT', path: 'DocumentReference/note-1', contentType: 'application/fhir+json', body: Buffer.alloc(0) })?.status).toBe(400);
  });
});

describe('Medplum webhooks', () => {
  test('a deletion is `{}` with X-Medplum-Deleted-Resource', () => {
    expect(parseNotification(post(fixture('medplum-delete.json'), 'application/fhir+json', { deletedResource: 'DocumentReference/note-1' }))).toEqual({
      kind: 'events',
      form: 'medplum-delete',
      events: [{ noteId: 'note-1', interaction: 'delete' }],
    });
    expect(refusal(post('{}', 'application/fhir+json', { deletedResource: 'Patient/p1' }))?.status).toBe(422);
    expect(refusal(post('{}'))?.status).toBe(422);
  });
});

describe('topic-based notifications (R4B/R5 and the R4 backport)', () => {
  test.each(['r5-handshake.json', 'backport-r4-handshake.json'])('%s: handshake, nothing to queue', (name) => {
    expect(parseNotification(post(fixture(name)))).toMatchObject({
      kind: 'topic',
      type: 'handshake',
      subscription: SUBSCRIPTION,
      eventsSinceStart: 0,
      events: [],
      needsCatchUp: false,
    });
  });

  test.each(['r5-heartbeat.json', 'backport-r4-heartbeat.json'])('%s: heartbeat with the event count', (name) => {
    expect(parseNotification(post(fixture(name)))).toMatchObject({ kind: 'topic', type: 'heartbeat', eventsSinceStart: 2, eventNumbers: [], events: [] });
  });

  test.each(['r5-event-empty.json', 'backport-r4-event-empty.json'])('%s: empty content needs a catch-up', (name) => {
    expect(parseNotification(post(fixture(name)))).toMatchObject({ type: 'event-notification', eventNumbers: [3], events: [], needsCatchUp: true });
  });

  test.each([
    ['r5-event-id-only.json', 'topic-r4b-r5', { noteId: 'note-1', versionId: '1', interaction: 'upsert' }],
    ['r4b-event-id-only.json', 'topic-r4b-r5', { noteId: 'note-1', interaction: 'upsert' }],
    ['backport-r4-event-id-only.json', 'topic-backport-r4', { noteId: 'note-1', interaction: 'upsert' }],
    ['r5-event-full-resource.json', 'topic-r4b-r5', { noteId: 'note-1', versionId: '1', interaction: 'upsert' }],
    ['backport-r4-event-full-resource.json', 'topic-backport-r4', { noteId: 'note-1', versionId: '1', interaction: 'upsert' }],
  ])('%s: one event for the focus', (name, form, event) => {
    expect(parseNotification(post(fixture(name)))).toEqual({
      kind: 'topic',
      form,
      subscription: SUBSCRIPTION,
      type: 'event-notification',
      eventsSinceStart: 3,
      eventNumbers: [3],
      events: [event],
      needsCatchUp: false,
    });
  });

  test('foci of other resource types are ignored; a DELETE entry is a deletion', () => {
    const bundle = JSON.parse(fixture('r5-event-id-only.json').toString()) as { entry: { resource: { notificationEvent: unknown[] } }[] };
    bundle.entry[0].resource.notificationEvent = [
      { eventNumber: '4', focus: { reference: 'Patient/synthetic-1' } },
      { eventNumber: '5', focus: { reference: 'DocumentReference/note-2' } },
    ];
    (bundle.entry as unknown[]).push({ fullUrl: 'https://ehr.example.org/fhir/DocumentReference/note-2', request: { method: 'DELETE', url: 'DocumentReference/note-2' } });
    expect(parseNotification(post(bundle))).toMatchObject({ eventNumbers: [4, 5], events: [{ noteId: 'note-2', interaction: 'delete' }] });
  });

  test('backport STU1 shape: no notification-event, counters and the resources in the Bundle', () => {
    const bundle = JSON.parse(fixture('backport-r4-event-full-resource.json').toString()) as { entry: { resource: { parameter: { name: string }[] } }[] };
    const status = bundle.entry[0].resource;
    status.parameter = status.parameter.filter((p) => p.name !== 'notification-event');
    status.parameter.push({ name: 'events-in-notification', valueUnsignedInt: 1 } as { name: string });
    expect(parseNotification(post(bundle))).toMatchObject({ eventNumbers: [3], events: [{ noteId: 'note-1', versionId: '1' }] });
  });
});

describe('refusals: 400 malformed, 415 media type, 422 not processable', () => {
  test.each(['invalid-searchset-bundle.json', 'invalid-query-status.json', 'invalid-patient.json'])('%s is 422', (name) => {
    expect(refusal(post(fixture(name)))?.status).toBe(422);
  });

  test('malformed JSON is 400 and the message does not echo the body', () => {
    const result = refusal(post('{"resourceType": "DocumentReference", "text": "patient has HIV"'));
    expect(result?.status).toBe(400);
    expect(result?.message).not.toContain('HIV');
  });

  test('invalid UTF-8 is 400; a non-JSON media type with a body is 415', () => {
    expect(refusal(post(Buffer.from([0x7b, 0xff, 0x7d])))?.status).toBe(400);
    expect(refusal(post(fixture('r4-rest-hook-full.json'), 'text/plain'))?.status).toBe(415);
  });

  test('resources and values it cannot process are 422, never echoed', () => {
    expect(refusal(post({ resourceType: 'DocumentReference' }))?.status).toBe(422);
    expect(refusal(post({ resourceType: 'DocumentReference', id: 'bad id/../x' }))?.status).toBe(422);
    expect(refusal(post([1, 2]))?.status).toBe(422);
    const script = refusal(post({ resourceType: '<script>alert(1)</script>', id: 'x' }));
    expect(script?.status).toBe(422);
    expect(script?.message).not.toContain('script');
  });

  test('broken status resources are 422', () => {
    const broken = (mutate: (status: Record<string, unknown>) => void): number | undefined => {
      const bundle = JSON.parse(fixture('r5-event-id-only.json').toString()) as { entry: { resource: Record<string, unknown> }[] };
      mutate(bundle.entry[0].resource);
      return refusal(post(bundle))?.status;
    };
    expect(broken((s) => delete s.subscription)).toBe(422);
    expect(broken((s) => (s.eventsSinceSubscriptionStart = '-1'))).toBe(422);
    expect(broken((s) => (s.notificationEvent = [{ eventNumber: 'x' }]))).toBe(422);
    expect(broken((s) => (s.notificationEvent = [{ eventNumber: '3', focus: { reference: 'not a reference' } }]))).toBe(422);
    expect(broken((s) => (s.type = 'query-event'))).toBe(422);
  });
});

describe('patient feedback (QuestionnaireResponse, Communication)', () => {
  test('rest-hook with the resource: an upsert marked with its type', () => {
    expect(parseNotification(post({ resourceType: 'QuestionnaireResponse', id: 'qr-1', meta: { versionId: '2' } }))).toEqual({
      kind: 'events',
      form: 'rest-hook-full',
      events: [{ noteId: 'qr-1', resourceType: 'QuestionnaireResponse', versionId: '2', interaction: 'upsert' }],
    });
  });

  test('HAPI path form and Medplum deletion name the type', () => {
    const put = { method: 'PUT', path: 'Communication/c-1', contentType: 'application/fhir+json', body: Buffer.from(JSON.stringify({ resourceType: 'Communication', id: 'c-1' })) };
    expect(parseNotification(put)).toMatchObject({ events: [{ noteId: 'c-1', resourceType: 'Communication', interaction: 'upsert' }] });
    expect(refusal({ ...put, body: Buffer.from(JSON.stringify({ resourceType: 'DocumentReference', id: 'c-1' })) })?.status).toBe(422);
    expect(parseNotification(post('{}', 'application/json', { deletedResource: 'QuestionnaireResponse/qr-9' }))).toEqual({
      kind: 'events',
      form: 'medplum-delete',
      events: [{ noteId: 'qr-9', resourceType: 'QuestionnaireResponse', interaction: 'delete' }],
    });
  });

  test('topic notifications carry QuestionnaireResponse and Communication foci; other types are still ignored', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'subscription-notification',
      entry: [
        {
          resource: {
            resourceType: 'SubscriptionStatus',
            type: 'event-notification',
            subscription: { reference: SUBSCRIPTION },
            notificationEvent: [
              { eventNumber: '1', focus: { reference: 'QuestionnaireResponse/qr-1/_history/3' } },
              { eventNumber: '2', focus: { reference: 'Communication/c-1' } },
              { eventNumber: '3', focus: { reference: 'Observation/o-1' } },
            ],
          },
        },
        { fullUrl: 'Communication/c-1', resource: { resourceType: 'Communication', id: 'c-1', meta: { versionId: '5' } } },
      ],
    };
    expect(parseNotification(post(bundle))).toMatchObject({
      events: [
        { noteId: 'qr-1', resourceType: 'QuestionnaireResponse', versionId: '3', interaction: 'upsert' },
        { noteId: 'c-1', resourceType: 'Communication', versionId: '5', interaction: 'upsert' },
      ],
    });
  });

  test('other resource types are still refused', () => {
    expect(refusal(post({ resourceType: 'Observation', id: 'o-1' }))).toMatchObject({ status: 422 });
  });
});
