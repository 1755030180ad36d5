import { describe, expect, test } from 'vitest';
import type { Bundle, Condition, MedicationStatement, Provenance, Resource } from '@medplum/fhirtypes';
import { aConcept, aMedication, aProblem, aResult } from '../../test/builders/mentions.js';
import { DEFAULT_MAPPING_OPTIONS, type NoteVersion } from '../fhir/finding-types.js';
import { mapFindings } from '../fhir/map-findings.js';
import { ASSERTION_EXTENSION_URL } from '../fhir/naming.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from '../fhir/profiles/validate.js';
import { isRetracted, planWriteBack } from '../fhir/write-back.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { buildReviewTransaction } from './decision.js';
import { isReviewed, REVIEW_EXTENSION_URL } from './review-codes.js';

const software = buildSoftwareInfo('0.0.0-test', { name: 'test', version: '1', components: [] });
const options = { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: software.pipelineVersion };
const device = { reference: 'Device/d1' };
const HTN = aConcept('sct:38341003', 'Hypertensive disorder');
const ASTHMA = aConcept('sct:195967001', 'Asthma');
const METFORMIN = aConcept('rxnorm:6809', 'metformin', 'medication');
const text = 'Hypertension. Asthma. Takes metformin 500 mg.';
const recorded = '2026-12-05T06:00:00Z';

function note(versionId = '1'): NoteVersion {
  return { id: 'doc1', versionId, subject: { reference: 'Patient/p1' }, attachmentPath: 'DocumentReference.content[0].attachment', status: 'current', date: '2026-01-02' };
}

/** The findings as a server stores them after the first run (ids and versions assigned). */
function stored(t = text, n = note()): (Resource & { id: string })[] {
  const result = aResult(
    ...[['Hypertension', HTN], ['Asthma', ASTHMA]].filter(([w]) => t.includes(w as string)).map(([w, c]) => aProblem(t, w as string, c as typeof HTN)),
    ...(t.includes('metformin') ? [aMedication(t, 'metformin', METFORMIN)] : [])
  );
  return mapFindings(n, t, result, options).map((f, i) => ({ ...f.resource, id: `r${i}`, meta: { ...f.resource.meta, versionId: '1' } }) as Resource & { id: string });
}

const byType = <T extends Resource>(list: Resource[], type: T['resourceType'], word?: string): T & { id: string } =>
  list.find((r) => r.resourceType === type && (!word || JSON.stringify(r).toLowerCase().includes(word))) as T & { id: string };

function putOf(bundle: Bundle): Resource {
  return bundle.entry?.[0].resource as Resource;
}

describe('buildReviewTransaction', () => {
  test('reject: the Condition becomes entered-in-error, guarded by If-Match, with a verifier Provenance naming the version seen', () => {
    const condition = byType<Condition>(stored(), 'Condition', 'asthma');
    const bundle = buildReviewTransaction({ resource: condition, decision: { kind: 'reject' }, reviewer: { id: 'Practitioner/dr-lee' }, recorded });
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry?.[0].request).toEqual({ method: 'PUT', url: `Condition/${condition.id}`, ifMatch: 'W/"1"' });
    const next = putOf(bundle) as Condition;
    expect(isRetracted(next)).toBe(true);
    expect(next.clinicalStatus).toBeUndefined();
    expect(isReviewed(next)).toBe(true);
    expect(next.extension?.find((e) => e.url === REVIEW_EXTENSION_URL)?.valueCode).toBe('reject');
    expect(next.meta?.versionId).toBeUndefined();
    const provenance = bundle.entry?.[1].resource as Provenance;
    expect(bundle.entry?.[1].request).toEqual({ method: 'POST', url: 'Provenance' });
    expect(provenance.target).toEqual([{ reference: `Condition/${condition.id}` }]);
    expect(provenance.agent[0].type?.coding?.[0].code).toBe('verifier');
    expect(provenance.agent[0].who).toEqual({ reference: 'Practitioner/dr-lee', display: 'Practitioner/dr-lee' });
    expect(provenance.activity?.coding?.map((c) => c.code)).toEqual(['NULLIFY', 'review-reject']);
    expect(provenance.entity?.map((e) => [e.role, e.what.reference])).toEqual([
      ['revision', `Condition/${condition.id}/_history/1`],
      ['source', 'DocumentReference/doc1/_history/1'],
    ]);
    expect(provenance.meta?.tag?.map((t) => t.code)).toEqual(['review-decision', 'doc1']);
  });

  test('a reviewer without a Practitioner id is written as an identifier', () => {
    const condition = byType<Condition>(stored(), 'Condition', 'asthma');
    const bundle = buildReviewTransaction({ resource: condition, decision: { kind: 'accept' }, reviewer: { id: 'alice' }, recorded });
    const who = (bundle.entry?.[1].resource as Provenance).agent[0].who;
    expect(who).toEqual({ identifier: { system: 'https://chartmine.dev/fhir/sid/reviewer', value: 'alice' }, display: 'alice' });
  });

  test('accept confirms a Condition; correct changes code and assertion (statuses follow); outputs still meet the profiles', () => {
    const condition = byType<Condition>(stored(), 'Condition', 'hypert');
    const accepted = putOf(buildReviewTransaction({ resource: condition, decision: { kind: 'accept' }, reviewer: { id: 'alice' }, recorded })) as Condition;
    expect(accepted.verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(accepted.code).toEqual(condition.code);
    const corrected = putOf(
      buildReviewTransaction({
        resource: condition,
        decision: { kind: 'correct', code: { system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }, assertion: 'negated' },
        reviewer: { id: 'alice' },
        recorded,
      })
    ) as Condition;
    expect(corrected.code).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }], text: 'Essential hypertension' });
    expect(corrected.verificationStatus?.coding?.[0].code).toBe('refuted');
    expect(corrected.clinicalStatus).toBeUndefined();
    expect(corrected.extension?.filter((e) => e.url === ASSERTION_EXTENSION_URL).map((e) => e.valueCode)).toEqual(['negated']);
    const medication = byType<MedicationStatement>(stored(), 'MedicationStatement');
    const rejectedMed = putOf(buildReviewTransaction({ resource: medication, decision: { kind: 'reject' }, reviewer: { id: 'alice' }, recorded }));
    expect((rejectedMed as MedicationStatement).status).toBe('entered-in-error');
    for (const resource of [accepted, corrected, rejectedMed]) {
      expect(describeIssues(errorsOf(validateAgainstProfiles(resource))), resource.resourceType).toEqual([]);
    }
  });
});

describe('re-analysis keeps reviewed findings', () => {
  const reviewed = (resource: Resource & { id: string }, kind: 'accept' | 'reject'): Resource => {
    const next = putOf(buildReviewTransaction({ resource, decision: { kind }, reviewer: { id: 'alice' }, recorded }));
    return { ...next, meta: { ...next.meta, versionId: '2' } } as Resource;
  };
  const desired = (t: string, n: NoteVersion) =>
    mapFindings(
      n,
      t,
      aResult(
        ...[['Hypertension', HTN], ['Asthma', ASTHMA]].filter(([w]) => t.includes(w as string)).map(([w, c]) => aProblem(t, w as string, c as typeof HTN)),
        ...(t.includes('metformin') ? [aMedication(t, 'metformin', METFORMIN)] : [])
      ),
      options
    );

  test('the same version again does not undo a rejection', () => {
    const server = stored();
    const asthma = byType<Condition>(server, 'Condition', 'asthma');
    const afterReview = server.map((r) => (r.id === asthma.id ? reviewed(asthma, 'reject') : r));
    const plan = planWriteBack({ note: note(), desired: desired(text, note()), existing: afterReview, software, device, recorded });
    expect(plan).toMatchObject({ bundles: [], keptReviewed: 1, created: 0, updated: 0, retracted: 0, unchanged: 2 });
  });

  test('a new version neither retracts an accepted finding nor rewrites a corrected one, and counts both', () => {
    const server = stored();
    const asthma = byType<Condition>(server, 'Condition', 'asthma');
    const htn = byType<Condition>(server, 'Condition', 'hypert');
    const afterReview = server.map((r) => (r.id === asthma.id ? reviewed(asthma, 'accept') : r.id === htn.id ? reviewed(htn, 'accept') : r));
    // Version 2 no longer mentions asthma or metformin: only the unreviewed medication is retracted.
    const v2 = 'Hypertension.';
    const plan = planWriteBack({ note: note('2'), desired: desired(v2, note('2')), existing: afterReview, software, device, recorded });
    expect(plan).toMatchObject({ keptReviewed: 2, retracted: 1, updated: 0, created: 0 });
    const urls = plan.bundles.flatMap((b) => b.entry ?? []).map((e) => e.request?.url);
    expect(urls).not.toContain(`Condition/${asthma.id}`);
    expect(urls).not.toContain(`Condition/${htn.id}`);
  });

  test('a replacing note does not retract the replaced note\'s reviewed findings', () => {
    const old = stored();
    const asthma = byType<Condition>(old, 'Condition', 'asthma');
    const oldAfterReview = old.map((r) => (r.id === asthma.id ? reviewed(asthma, 'accept') : r));
    const successor: NoteVersion = { ...note(), id: 'doc2' };
    const plan = planWriteBack({ note: successor, desired: [], existing: [], software, device, recorded, superseded: [{ noteId: 'doc1', resources: oldAfterReview }] });
    expect(plan).toMatchObject({ keptReviewed: 1, retracted: old.length - 1 });
    expect(plan.bundles.flatMap((b) => b.entry ?? []).map((e) => e.request?.url)).not.toContain(`Condition/${asthma.id}`);
  });
});
