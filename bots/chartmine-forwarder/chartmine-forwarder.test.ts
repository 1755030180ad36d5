import type { BotEvent } from '@medplum/core';
import type { Bot, DocumentReference, Reference } from '@medplum/fhirtypes';
import { MockClient } from '@medplum/mock';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aNote } from '../../test/builders/note.js';
import { startStub, type HttpStub } from '../../test/support/http-stub.js';
import { scriptedPipeline } from '../../test/support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../../test/support/test-server.js';
import { ensureFhirDefinitions } from '../../src/fhir/definitions.js';
import { isNotificationAuthentic } from '../../src/ingest/verify-signature.js';
import { handler, type ForwarderInput } from './chartmine-forwarder.js';

const SECRET = 'bot-notify-secret-0123456789abcdef';
let medplum: MockClient;
let stub: HttpStub;
let chartmine: TestServer;

beforeAll(async () => {
  ensureFhirDefinitions();
  medplum = new MockClient();
  stub = await startStub((_req, res) =>
    res.writeHead(202, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ diagnostics: 'note-x-v1' }] }))
  );
  chartmine = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { NOTIFY_SECRET: SECRET, WORKERS: '0' } });
});
afterAll(async () => {
  await stub?.close();
  await chartmine?.close();
});

function event(input: ForwarderInput, url: string, headers: Record<string, string> = {}, secret = SECRET): BotEvent<ForwarderInput> {
  return {
    bot: { reference: 'Bot/chartmine-forwarder' } as Reference<Bot>,
    contentType: 'application/fhir+json',
    input,
    secrets: { CHARTMINE_URL: { name: 'CHARTMINE_URL', valueString: url }, CHARTMINE_NOTIFY_SECRET: { name: 'CHARTMINE_NOTIFY_SECRET', valueString: secret } },
    headers,
  };
}

describe('chartmine-forwarder', () => {
  test('forwards ids and version only, signed with X-Signature', async () => {
    const note = await medplum.createResource<DocumentReference>(aNote({ text: 'SENTINEL pt with hypertension' }));
    const result = await handler(medplum, event(note, stub.url));
    expect(result).toEqual({ forwarded: 'upsert', status: 202, jobIds: ['note-x-v1'] });
    const request = stub.seen.at(-1);
    expect(request?.url).toBe('/notify');
    expect(JSON.parse(request?.body ?? '')).toEqual({ resourceType: 'DocumentReference', id: note.id, meta: { versionId: note.meta?.versionId, lastUpdated: note.meta?.lastUpdated } });
    expect(request?.body).not.toContain('SENTINEL');
    const headers = (name: string) => request?.headers[name] as string | undefined;
    expect(isNotificationAuthentic(headers, Buffer.from(request?.body ?? ''), { secret: SECRET, header: 'authorization' })).toBe(true);
    expect(headers('authorization')).toBeUndefined(); // the secret itself never travels
  });

  test('a deletion is `{}` with X-Medplum-Deleted-Resource (from the header or a deletedResource input)', async () => {
    const note = await medplum.createResource<DocumentReference>(aNote({}));
    await handler(medplum, event({ deletedResource: note }, stub.url));
    expect(stub.seen.at(-1)?.body).toBe('{}');
    expect(stub.seen.at(-1)?.headers['x-medplum-deleted-resource']).toBe(`DocumentReference/${note.id}`);
    await handler(medplum, event(note, `${stub.url}/`, { 'X-Medplum-Deleted-Resource': `DocumentReference/${note.id}` }));
    expect(stub.seen.at(-1)?.headers['x-medplum-deleted-resource']).toBe(`DocumentReference/${note.id}`);
  });

  test('a real Chartmine accepts both (202, one job per version); a wrong secret is refused and the bot throws', async () => {
    const note = await medplum.createResource<DocumentReference>(aNote({}));
    const upsert = await handler(medplum, event(note, chartmine.url));
    expect(upsert).toEqual({ forwarded: 'upsert', status: 202, jobIds: [`note-${note.id}-v${note.meta?.versionId}`] });
    const deletion = await handler(medplum, event({ deletedResource: note }, chartmine.url));
    expect(deletion).toEqual({ forwarded: 'delete', status: 202, jobIds: [`note-${note.id}-vdeleted`] });
    await expect(handler(medplum, event(note, chartmine.url, {}, 'a-wrong-secret-a-wrong-secret'))).rejects.toThrow(/401/);
  });

  test('other resources are skipped; missing secrets fail loudly', async () => {
    const patient = await medplum.createResource({ resourceType: 'Patient' });
    expect(await handler(medplum, event(patient, stub.url))).toEqual({ skipped: 'not a DocumentReference' });
    const noSecrets = { ...event(patient, stub.url), secrets: {} };
    await expect(handler(medplum, noSecrets)).rejects.toThrow(/CHARTMINE_URL/);
  });
});
