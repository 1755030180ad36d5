import { describe, expect, test } from 'vitest';
import type { Bundle, Provenance, Resource } from '@medplum/fhirtypes';
import { TARGETS_PENDING_TAG } from '../fhir/naming.js';
import { buildAuditEvent } from './build-audit-event.js';
import { buildProvenance, repairPendingProvenance, stampProvenance } from './build-provenance.js';
import { buildPipelineDevice, buildSoftwareInfo } from './software.js';

const software = buildSoftwareInfo('1.2.3', {
  name: 'rules',
  version: '7',
  components: [
    { name: 'terminology', version: '2026-10', sha256: 'ab'.repeat(32) },
    { name: 'lexicons', version: '3' },
  ],
});
const note = { id: 'n1', versionId: '4', subject: { reference: 'Patient/p1' }, attachmentPath: 'DocumentReference.content[0].attachment', status: 'current' as const };

function pending(targets: string[]): Provenance {
  return buildProvenance({ note, targets: targets.map((reference) => ({ reference })), software, device: { reference: 'Device/d1' }, recorded: '2026-11-01T10:00:00Z', activity: 'CREATE' });
}

describe('Provenance', () => {
  test('is written pending: tagged, targets as the transaction names them, the note version as source', () => {
    const p = pending(['urn:uuid:1', 'Condition/c2']);
    expect(p.meta?.tag).toContainEqual(TARGETS_PENDING_TAG);
    expect(p.entity).toEqual([{ role: 'source', what: { reference: 'DocumentReference/n1/_history/4' } }]);
    expect(p.agent[0]).toMatchObject({ type: { coding: [{ code: 'assembler' }] }, who: { reference: 'Device/d1' } });
  });

  test('is stamped from the transaction answer: versioned targets, no pending tag, If-Match on its own version', () => {
    const request: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:1', request: { method: 'POST', url: 'Condition' } },
        { fullUrl: 'Condition/c2', request: { method: 'PUT', url: 'Condition/c2' } },
        { resource: pending(['urn:uuid:1', 'Condition/c2']), request: { method: 'POST', url: 'Provenance' } },
      ],
    };
    const response: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: [
        { response: { status: '201', location: 'Condition/c1/_history/v1' } },
        { resource: { resourceType: 'Condition', id: 'c2', meta: { versionId: 'v7' } } as Resource, response: { status: '200' } },
        { resource: { ...pending(['Condition/c1', 'Condition/c2']), id: 'p1', meta: { ...pending([]).meta, versionId: 'pv1' } }, response: { status: '201' } },
      ],
    };
    const update = stampProvenance(request, response);
    expect(update?.ifMatchVersion).toBe('pv1');
    // Each versioned target is followed by its unversioned twin (Medplum matches reference strings exactly).
    expect(update?.resource.target).toEqual([
      { reference: 'Condition/c1/_history/v1' },
      { reference: 'Condition/c2/_history/v7' },
      { reference: 'Condition/c1' },
      { reference: 'Condition/c2' },
    ]);
    expect(update?.resource.meta?.tag).not.toContainEqual(TARGETS_PENDING_TAG);
    expect(update?.resource.meta?.versionId).toBeUndefined();
  });

  test('an answer without versions leaves it pending (to be repaired)', () => {
    const request: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Condition' } }, { resource: pending(['urn:uuid:1']) }] };
    const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201', location: 'Condition/c1' } }, { resource: { ...pending([]), id: 'p1', meta: { versionId: 'pv1' } } }] };
    expect(stampProvenance(request, response)).toBeUndefined();
  });

  test('a pending one is repaired from the targets\' histories: the version written closest to it', () => {
    const stored = { ...pending(['Condition/c1', 'Condition/c2/_history/9']), id: 'p1', meta: { ...pending([]).meta, versionId: 'pv1', lastUpdated: '2026-11-01T10:00:00.500Z' } };
    const history = new Map<string, Resource[]>([
      [
        'Condition/c1',
        [
          { resourceType: 'Condition', id: 'c1', meta: { versionId: 'later', lastUpdated: '2026-11-02T08:00:00Z' } } as Resource,
          { resourceType: 'Condition', id: 'c1', meta: { versionId: 'ours', lastUpdated: '2026-11-01T10:00:00.498Z' } } as Resource,
          { resourceType: 'Condition', id: 'c1', meta: { versionId: 'earlier', lastUpdated: '2026-10-01T10:00:00Z' } } as Resource,
        ],
      ],
    ]);
    const update = repairPendingProvenance(stored, history);
    expect(update?.resource.target).toEqual([
      { reference: 'Condition/c1/_history/ours' },
      { reference: 'Condition/c2/_history/9' },
      { reference: 'Condition/c1' },
      { reference: 'Condition/c2' },
    ]);
    expect(repairPendingProvenance(stored, new Map())).toBeUndefined();
  });
});

describe('pipeline Device', () => {
  test('names Chartmine, the pipeline and each component with its checksum', () => {
    const device = buildPipelineDevice(software);
    expect(device.identifier).toEqual([{ system: 'https://chartmine.dev/fhir/sid/pipeline', value: `rules@${software.pipelineVersion}` }]);
    expect(device.version?.map((v) => `${v.type?.coding?.[0].code}:${v.type?.text}=${v.value}${v.component ? ` #${v.component.value}` : ''}`)).toEqual([
      'software:chartmine=1.2.3',
      `pipeline:rules=${software.pipelineVersion}`,
      `component:terminology=2026-10 #${'ab'.repeat(32)}`,
      'component:lexicons=3',
    ]);
  });
});

describe('AuditEvent', () => {
  const base = { noteId: 'n1', versionId: '4', jobId: 'note-n1-v4', attempt: 2, pipelineVersion: 'p1', device: { reference: 'Device/d1' }, recorded: '2026-11-01T10:00:00Z' };

  test('a run that wrote: outcome 0, counts, the Provenance', () => {
    const event = buildAuditEvent({
      ...base,
      outcome: { kind: 'written', counts: { mentions: 5, created: 2, updated: 1, retracted: 1, unchanged: 3, transactions: 1 }, provenances: ['Provenance/p1'] },
    });
    expect(event).toMatchObject({ outcome: '0', outcomeDesc: 'written: 5 mentions; 2 created, 1 updated, 1 retracted, 3 unchanged' });
    expect(event.entity?.map((e) => e.what?.reference)).toEqual(['DocumentReference/n1/_history/4', 'Provenance/p1']);
  });

  test('failures: 4 while it will be retried, 8 when final; the error code only', () => {
    expect(buildAuditEvent({ ...base, outcome: { kind: 'failed', errorCode: 'upstream-unavailable', retryable: true } }).outcome).toBe('4');
    const final = buildAuditEvent({ ...base, outcome: { kind: 'failed', errorCode: 'unsupported-content', retryable: false } });
    expect(final).toMatchObject({ outcome: '8', outcomeDesc: 'failed: unsupported-content' });
  });

  test('a deletion names the note without a version', () => {
    expect(buildAuditEvent({ ...base, versionId: 'deleted', outcome: { kind: 'skipped', reason: 'missing' } }).entity?.[0].what?.reference).toBe('DocumentReference/n1');
  });
});
