import { describe, expect, test } from 'vitest';
import type { Bundle, Condition, MedicationStatement, Resource } from '@medplum/fhirtypes';
import { parseSig } from '../nlp/medication-sig.js';
import { runCli } from '../../test/support/cli.js';
import { describeIssues, emptyValueIssues, errorsOf, validateAgainstProfiles } from './profiles/validate.js';
import { aConcept, aMeasurement, aMedication, aProblem, aResult } from '../../test/builders/mentions.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import type { NoteVersion } from './finding-types.js';
import { DEFAULT_MAPPING_OPTIONS } from './finding-types.js';
import { mapFindings } from './map-findings.js';
import { DERIVATION_REFERENCE_URL, FINDING_IDENTIFIER_SYSTEM } from './naming.js';
import { isRetracted, MAX_UPDATES_PER_TRANSACTION, planWriteBack } from './write-back.js';

const software = buildSoftwareInfo('0.0.0-test', { name: 'test', version: '1', components: [] });
const options = { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: software.pipelineVersion };
const device = { reference: 'Device/d1' };
const HTN = aConcept('sct:38341003', 'Hypertensive disorder');
const ASTHMA = aConcept('sct:195967001', 'Asthma');

function note(versionId = '1'): NoteVersion {
  return { id: 'doc1', versionId, subject: { reference: 'Patient/p1' }, attachmentPath: 'DocumentReference.content[0].attachment', status: 'current', date: '2026-01-02' };
}

/** Simulates the server: what a transaction leaves behind (ids assigned, versions bumped). */
function apply(existing: Resource[], bundle: Bundle): Resource[] {
  const next = [...existing];
  let n = existing.length;
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource as Resource;
    if (resource.resourceType === 'Provenance') continue;
    if (entry.request?.method === 'POST') {
      next.push({ ...resource, id: `id${++n}`, meta: { ...resource.meta, versionId: '1' } } as Resource);
    } else {
      const i = next.findIndex((r) => `${r.resourceType}/${r.id}` === entry.request?.url);
      next[i] = { ...resource, meta: { ...resource.meta, versionId: String(Number(next[i].meta?.versionId) + 1) } } as Resource;
    }
  }
  return next;
}

describe('mapFindings', () => {
  test('two mentions of one concept with one assertion become one Condition with both spans', () => {
    const text = 'Hypertension. Plan: treat hypertension.';
    const result = aResult(aProblem(text, 'Hypertension', HTN), aProblem(text, 'hypertension', HTN));
    const findings = mapFindings(note(), text, result, options);
    expect(findings).toHaveLength(1);
    const condition = findings[0].resource as Condition;
    const spans = condition.extension?.filter((e) => e.url === DERIVATION_REFERENCE_URL) ?? [];
    expect(spans.map((e) => e.extension?.find((x) => x.url === 'offset')?.valueInteger)).toEqual([0, 26]);
    expect(spans[0].extension?.find((x) => x.url === 'reference')?.valueReference?.reference).toBe('DocumentReference/doc1/_history/1');
    expect(condition.identifier).toEqual([{ system: FINDING_IDENTIFIER_SYSTEM, value: findings[0].identifier }]);
  });

  test('negated and historical mentions of one concept are one Condition (consolidated: historical); hypothetical ones are not written', () => {
    const text = 'No asthma. Asthma as a child. Call if asthma.';
    const result = aResult(
      aProblem(text, 'asthma', ASTHMA, { assertion: 'negated' }),
      aProblem(text, 'Asthma', ASTHMA, { assertion: 'historical' }),
      aProblem(text, 'asthma', ASTHMA, { assertion: 'hypothetical', span: { start: 38, end: 44 } })
    );
    const findings = mapFindings(note(), text, result, options);
    const statuses = findings.map((f) => (f.resource as Condition).verificationStatus?.coding?.[0].code).sort();
    expect(statuses).toEqual(['confirmed']);
    expect(findings.map((f) => f.key)).toEqual(['Condition|sct:195967001|historical']);
    expect(findings.every((f) => !(f.resource as Condition).clinicalStatus)).toBe(true);
  });

  test('a family mention becomes FamilyMemberHistory, never the patient\'s Condition', () => {
    const text = 'Mother with hypertension.';
    const findings = mapFindings(note(), text, aResult(aProblem(text, 'hypertension', HTN, { assertion: 'family', relative: 'MTH' })), options);
    expect(findings.map((f) => f.resource.resourceType)).toEqual(['FamilyMemberHistory']);
    expect(findings[0].resource).toMatchObject({ relationship: { coding: [{ code: 'MTH' }] }, patient: { reference: 'Patient/p1' } });
  });

  test('identifiers do not depend on the note version or on where the mention is', () => {
    const a = mapFindings(note('1'), 'Asthma.', aResult(aProblem('Asthma.', 'Asthma', ASTHMA)), options);
    const b = mapFindings(note('2'), 'New line. Asthma.', aResult(aProblem('New line. Asthma.', 'Asthma', ASTHMA)), options);
    expect(a[0].identifier).toBe(b[0].identifier);
  });

  test('medications carry their dosage; measurements their UCUM quantity', () => {
    const text = 'metformin 500 mg PO BID. HR 77';
    const metformin = aConcept('rxnorm:6809', 'metformin', 'medication');
    const hr = aConcept('loinc:8867-4', 'Heart rate', 'observable');
    const result = aResult(
      aMedication(text, 'metformin', metformin, {
        sig: { span: { start: 10, end: 23 }, dose: { value: 500, unit: 'mg' }, route: 'oral', timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' } },
      }),
      aMeasurement(text, 'HR 77', hr, 77, '/min')
    );
    const [statement, observation] = mapFindings(note(), text, result, options).map((f) => f.resource as unknown as Record<string, unknown>);
    expect(statement).toMatchObject({
      resourceType: 'MedicationStatement',
      status: 'active',
      dosage: [
        {
          text: '500 mg PO BID',
          route: { coding: [{ code: '26643006' }] },
          doseAndRate: [{ doseQuantity: { value: 500, unit: 'mg', system: 'http://unitsofmeasure.org' } }],
          timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' }, code: { text: 'BID' } },
        },
      ],
    });
    expect(observation).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ code: 'vital-signs' }] }],
      valueQuantity: { value: 77, code: '/min' },
      effectiveDateTime: '2026-01-02',
      derivedFrom: [{ reference: 'DocumentReference/doc1' }],
    });
  });
});

describe('tapers and empty values (issue 13, item 7)', () => {
  const rivaroxaban = aConcept('rxnorm:1114195', 'rivaroxaban', 'medication');
  const text = 'Rivaroxaban 15 mg PO BID for 21 days then 20 mg PO daily';
  const taper = () =>
    aResult(
      aMedication(text, 'Rivaroxaban', rivaroxaban, {
        sig: parseSig(text, 'Rivaroxaban'.length, text.length),
      })
    );

  test('"X then Y" becomes two dosages in sequence, each with its own frequency; no empty values anywhere', () => {
    const [statement] = mapFindings(note(), text, taper(), options).map((f) => f.resource as MedicationStatement);
    expect(statement.dosage).toEqual([
      expect.objectContaining({
        sequence: 1,
        text: '15 mg PO BID for 21 days',
        doseAndRate: [{ doseQuantity: expect.objectContaining({ value: 15, code: 'mg' }) }],
        timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd', boundsDuration: expect.objectContaining({ value: 21, code: 'd' }) }, code: { text: 'BID' } },
      }),
      expect.objectContaining({
        sequence: 2,
        text: '20 mg PO daily',
        doseAndRate: [{ doseQuantity: expect.objectContaining({ value: 20, code: 'mg' }) }],
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' }, code: { text: 'QD' } },
      }),
    ]);
    expect(emptyValueIssues(statement)).toEqual([]);
  });

  test('profiles validation (and `chartmine profiles validate`) reports an empty array, object or string with its path', async () => {
    const [statement] = mapFindings(note(), text, taper(), options).map((f) => f.resource as MedicationStatement);
    const broken = structuredClone(statement) as MedicationStatement & { dosage: { timing: { repeat: { when?: string[] } } }[] };
    broken.dosage[0].timing.repeat.when = [];
    (broken as { note?: unknown[] }).note = [{ text: '' }];
    expect(describeIssues(errorsOf(validateAgainstProfiles(broken))).join('\n')).toMatch(/empty array[^\n]*MedicationStatement\.dosage\[0\]\.timing\.repeat\.when/);
    expect(emptyValueIssues(broken).map((i) => i.expression?.[0])).toEqual(['MedicationStatement.dosage[0].timing.repeat.when', 'MedicationStatement.note[0].text']);
    const cli = await runCli(['profiles', 'validate'], {}, JSON.stringify(broken));
    expect(cli.code).toBe(1);
    expect(cli.out).toContain('empty array');
    expect((await runCli(['profiles', 'validate'], {}, JSON.stringify(statement))).code).toBe(0);
  });

  test('compared with the server\'s normalised copy (empty values dropped), an unchanged note writes nothing', () => {
    const desired = mapFindings(note(), text, taper(), options);
    const plan = (existing: Resource[]) => planWriteBack({ note: note(), desired, existing, software, device, recorded: '2026-11-26T00:00:00Z' });
    // Medplum drops empty arrays/objects/strings when it stores a resource; a desired copy carrying one (as the old
    // sig parser's `when: []` did) must still compare equal to what the server gives back.
    const withEmpty = desired.map((f) => ({ ...f, resource: { ...f.resource, dosage: [{ ...(f.resource as MedicationStatement).dosage?.[0], timing: { ...(f.resource as MedicationStatement).dosage?.[0]?.timing, repeat: { ...(f.resource as MedicationStatement).dosage?.[0]?.timing?.repeat, when: [] } } }, ...((f.resource as MedicationStatement).dosage?.slice(1) ?? [])] } as Resource }));
    const stored = apply([], plan([]).bundles[0]);
    expect(planWriteBack({ note: note(), desired: withEmpty, existing: stored, software, device, recorded: '2026-11-26T00:00:00Z' })).toMatchObject({ bundles: [], unchanged: 1 });
  });
});

describe('planWriteBack', () => {
  const text = 'Hypertension. Asthma.';
  const desired = (t = text, n = note()) =>
    mapFindings(n, t, aResult(...[['Hypertension', HTN], ['Asthma', ASTHMA]].filter(([w]) => t.includes(w as string)).map(([w, c]) => aProblem(t, w as string, c as typeof HTN))), options);
  const plan = (existing: Resource[], d = desired(), n = note()) =>
    planWriteBack({ note: n, desired: d, existing, software, device, recorded: '2026-11-26T00:00:00Z' });

  test('first run: one transaction creating every finding plus a Provenance that targets them', () => {
    const result = plan([]);
    expect(result).toMatchObject({ created: 2, updated: 0, retracted: 0, unchanged: 0 });
    expect(result.bundles).toHaveLength(1);
    const entries = result.bundles[0].entry ?? [];
    expect(entries.map((e) => e.request?.method)).toEqual(['POST', 'POST', 'POST']);
    const provenance = entries[2].resource as { target: { reference: string }[]; entity: { what: { reference: string } }[] };
    expect(provenance.target.map((t) => t.reference)).toEqual(entries.slice(0, 2).map((e) => e.fullUrl));
    expect(provenance.entity[0].what.reference).toBe('DocumentReference/doc1/_history/1');
  });

  test('the same version again writes nothing', () => {
    const server = apply([], plan([]).bundles[0]);
    expect(plan(server)).toMatchObject({ bundles: [], created: 0, unchanged: 2 });
  });

  test('a new version keeps unchanged findings, creates new ones and retracts the unsupported', () => {
    const server = apply([], plan([]).bundles[0]);
    const v2Text = 'Hypertension.';
    const next = plan(server, desired(v2Text, note('2')), note('2'));
    expect(next).toMatchObject({ created: 0, updated: 0, retracted: 1, unchanged: 1 });
    const put = next.bundles[0].entry?.[0];
    expect(put?.request).toMatchObject({ method: 'PUT', ifMatch: 'W/"1"' });
    expect(isRetracted(put?.resource as Resource)).toBe(true);
    const after = apply(server, next.bundles[0]);
    expect(plan(after, desired(v2Text, note('2')), note('2')).bundles).toHaveLength(0);
  });

  test('more updates than Medplum allows in one transaction are split', () => {
    const many = Array.from({ length: MAX_UPDATES_PER_TRANSACTION + 5 }, (_, i) => ({
      resourceType: 'Condition',
      id: `c${i}`,
      meta: { versionId: '1' },
      identifier: [{ system: FINDING_IDENTIFIER_SYSTEM, value: `doc1-${i}` }],
      verificationStatus: { coding: [{ code: 'confirmed' }] },
    })) as Resource[];
    const result = plan(many, []);
    expect(result.retracted).toBe(MAX_UPDATES_PER_TRANSACTION + 5);
    expect(result.bundles.map((b) => b.entry?.filter((e) => e.request?.method === 'PUT').length)).toEqual([50, 5]);
    expect(result.bundles.every((b) => b.entry?.at(-1)?.resource?.resourceType === 'Provenance')).toBe(true);
  });
});

describe('planWriteBack: a note that replaces another', () => {
  test('retracts the predecessor\'s findings in the same transaction, with a Provenance naming both notes', () => {
    const predecessor = [
      { resourceType: 'Condition', id: 'old1', meta: { versionId: '3' }, identifier: [{ system: FINDING_IDENTIFIER_SYSTEM, value: 'doc0-a' }], verificationStatus: { coding: [{ code: 'confirmed' }] } },
    ] as Resource[];
    const text = 'Asthma.';
    const result = planWriteBack({
      note: note(),
      desired: mapFindings(note(), text, aResult(aProblem(text, 'Asthma', ASTHMA)), options),
      existing: [],
      software,
      device,
      recorded: '2026-11-26T00:00:00Z',
      superseded: [{ noteId: 'doc0', resources: predecessor }],
    });
    expect(result).toMatchObject({ created: 1, retracted: 1 });
    const entries = result.bundles[0].entry ?? [];
    expect(entries.map((e) => `${e.request?.method} ${e.request?.url}`)).toEqual(['POST Condition', 'PUT Condition/old1', 'POST Provenance']);
    const provenance = entries[2].resource as { entity: { role: string; what: { reference: string } }[]; reason: { text: string }[]; activity: { coding: { code: string }[] } };
    expect(provenance.entity.map((e) => `${e.role} ${e.what.reference}`)).toEqual(['source DocumentReference/doc1/_history/1', 'removal DocumentReference/doc0']);
    expect(provenance.reason.map((r) => r.text)).toEqual(['DocumentReference/doc0 superseded by DocumentReference/doc1 version 1']);
    expect(provenance.activity.coding[0].code).toBe('UPDATE');
  });
});
