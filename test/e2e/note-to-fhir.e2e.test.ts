/**
 * The whole path on real parts: a note posted to the embedded FHIR store over HTTP is queued in BullMQ (real
 * Redis), analysed by a worker with the shipped pipeline, and comes back as coded FHIR with Provenance.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  AllergyIntolerance,
  Bundle,
  Condition,
  Device,
  DocumentReference,
  MedicationStatement,
  Observation,
  Procedure,
  Provenance,
  Resource,
} from '@medplum/fhirtypes';
import { DEFAULT_MODELS_DIR } from '../../src/config/config.js';
import { DEFAULT_NER_MODEL, readShippedModelFiles } from '../../src/nlp/ner/load-ner-model.js';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const NOTE_TEXT =
  'Hypertension, type 2 diabetes on metformin 500 mg PO BID; denies chest pain; BP 151/93, HR 77. S/p appendectomy 2009. ' +
  'Allergies: penicillin (hives).';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

let app: TestServer;
let note: DocumentReference;

async function search<T extends Resource>(query: string): Promise<T[]> {
  const response = await app.request<Bundle<T>>('GET', `/fhir/R4/${query}`);
  expect(response.status).toBe(200);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

function codes(concept: { coding?: { system?: string; code?: string }[] } | undefined): string[] {
  return (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

async function countAll(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const type of ['Condition', 'MedicationStatement', 'Observation', 'FamilyMemberHistory', 'AllergyIntolerance', 'Procedure', 'Provenance', 'Device']) {
    out[type] = (await search(`${type}?_count=1000`)).map((r) => `${r.id}@${r.meta?.versionId}`).sort();
  }
  return out;
}

beforeAll(async () => {
  app = await startTestServer({ pipeline: realPipeline });
  const created = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: NOTE_TEXT, subject: 'Patient/p-e2e', encounter: 'Encounter/e-e2e' }));
  expect(created.status).toBe(201);
  note = created.body;
  await app.idle();
});

afterAll(async () => {
  await app?.close();
});

describe('a note posted to the embedded store', () => {
  test('yields affirmed Conditions for hypertension and type 2 diabetes and a refuted one for chest pain', async () => {
    const conditions = await search<Condition>('Condition?subject=Patient/p-e2e');
    const byCode = (code: string): Condition | undefined => conditions.find((c) => codes(c.code).includes(`${SNOMED}|${code}`));
    const htn = byCode('38341003');
    const t2dm = byCode('44054006');
    const chestPain = byCode('29857009');
    expect(codes(htn?.code)).toContain(`${ICD10CM}|I10`);
    expect(codes(t2dm?.code)).toContain(`${ICD10CM}|E11.9`);
    for (const c of [htn, t2dm]) {
      expect(c?.verificationStatus?.coding?.[0].code).toBe('confirmed');
      expect(c?.clinicalStatus?.coding?.[0].code).toBe('active');
      expect(c?.encounter?.reference).toBe('Encounter/e-e2e');
    }
    expect(chestPain?.verificationStatus?.coding?.[0].code).toBe('refuted');
    expect(chestPain?.clinicalStatus).toBeUndefined();
    expect(conditions).toHaveLength(3);
  });

  test('each Condition points at its exact span in that document version', async () => {
    const [htn] = await search<Condition>(`Condition?code=${SNOMED}|38341003`);
    const derivation = htn.extension?.find((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/derivation-reference');
    const part = (name: string) => derivation?.extension?.find((x) => x.url === name);
    expect(part('reference')?.valueReference?.reference).toBe(`DocumentReference/${note.id}/_history/${note.meta?.versionId}`);
    const offset = part('offset')?.valueInteger as number;
    const length = part('length')?.valueInteger as number;
    expect(NOTE_TEXT.slice(offset, offset + length)).toBe('Hypertension');
    expect(htn.evidence?.[0].detail?.[0].reference).toBe(`DocumentReference/${note.id}`);
  });

  test('yields a MedicationStatement for metformin with its dosage', async () => {
    const [statement, ...others] = await search<MedicationStatement>('MedicationStatement?subject=Patient/p-e2e');
    expect(others).toHaveLength(0);
    expect(codes(statement.medicationCodeableConcept)).toContain('http://www.nlm.nih.gov/research/umls/rxnorm|6809');
    expect(statement.status).toBe('active');
    expect(statement.derivedFrom?.[0].reference).toBe(`DocumentReference/${note.id}`);
    expect(statement.dosage?.[0]).toMatchObject({
      route: { coding: [{ system: SNOMED, code: '26643006' }] },
      doseAndRate: [{ doseQuantity: { value: 500, code: 'mg', system: 'http://unitsofmeasure.org' } }],
      timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
    });
  });

  test('yields a blood-pressure panel and a heart rate, LOINC-coded with UCUM values', async () => {
    const observations = await search<Observation>('Observation?subject=Patient/p-e2e');
    expect(observations).toHaveLength(2);
    const bp = observations.find((o) => codes(o.code).includes('http://loinc.org|85354-9'));
    const hr = observations.find((o) => codes(o.code).includes('http://loinc.org|8867-4'));
    expect(bp?.category?.[0].coding?.[0].code).toBe('vital-signs');
    const component = (code: string) => bp?.component?.find((c) => codes(c.code).includes(`http://loinc.org|${code}`))?.valueQuantity;
    expect(component('8480-6')).toMatchObject({ value: 151, code: 'mm[Hg]' });
    expect(component('8462-4')).toMatchObject({ value: 93, code: 'mm[Hg]' });
    expect(hr?.valueQuantity).toMatchObject({ value: 77, code: '/min', system: 'http://unitsofmeasure.org' });
    expect(hr?.derivedFrom?.[0].reference).toBe(`DocumentReference/${note.id}`);
  });

  test('yields a completed Procedure for the appendectomy, dated, and an AllergyIntolerance whose reaction is no Condition', async () => {
    const [procedure, ...otherProcedures] = await search<Procedure>('Procedure?subject=Patient/p-e2e');
    expect(otherProcedures).toHaveLength(0);
    expect(codes(procedure.code)).toContain(`${SNOMED}|80146002`);
    expect(procedure).toMatchObject({ status: 'completed', performedDateTime: '2009' });
    expect(procedure.meta?.profile).toContain('https://chartmine.dev/fhir/StructureDefinition/chartmine-procedure');
    const [allergy, ...otherAllergies] = await search<AllergyIntolerance>('AllergyIntolerance?patient=Patient/p-e2e');
    expect(otherAllergies).toHaveLength(0);
    // coded when the index knows penicillin, else by its text: either way it names the substance
    const names = [allergy.code?.text, ...(allergy.code?.coding ?? []).map((c) => c.display)].map((n) => (n ?? '').toLowerCase());
    expect(names.some((n) => n.includes('penicillin'))).toBe(true);
    expect(allergy.verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(allergy.reaction?.[0].manifestation).toHaveLength(1);
    // the reaction (hives) is not among the patient's Conditions (the Conditions test counts exactly three)
  });

  test('one Provenance links everything written to that document version and the pipeline Device', async () => {
    const provenances = await search<Provenance>(`Provenance?entity=DocumentReference/${note.id}/_history/${note.meta?.versionId}`);
    expect(provenances).toHaveLength(1);
    const [provenance] = provenances;
    const written = [
      ...(await search('Condition?subject=Patient/p-e2e')),
      ...(await search('MedicationStatement?subject=Patient/p-e2e')),
      ...(await search('Observation?subject=Patient/p-e2e')),
      ...(await search('Procedure?subject=Patient/p-e2e')),
      ...(await search('AllergyIntolerance?patient=Patient/p-e2e')),
    ].map((r) => `${r.resourceType}/${r.id}/_history/${r.meta?.versionId}`);
    // Versioned targets: exactly the versions this run wrote, each followed by its unversioned twin.
    const targets = provenance.target.map((t) => t.reference ?? '');
    expect(targets.filter((r) => r.includes('/_history/')).sort()).toEqual(written.sort());
    expect(targets.filter((r) => !r.includes('/_history/')).sort()).toEqual(written.map((r) => r.replace(/\/_history\/.*$/, '')).sort());
    expect(provenance.agent[0].type?.coding?.[0].code).toBe('assembler');
    const device = await app.request('GET', `/fhir/R4/${provenance.agent[0].who?.reference}`);
    expect(device.status).toBe(200);
    expect(device.body.resourceType).toBe('Device');
    // The worker ran the shipped NER model: the Device names it with its version and the int8 file's sha256.
    const shipped = readShippedModelFiles(join(DEFAULT_MODELS_DIR, DEFAULT_NER_MODEL));
    if (!shipped) throw new Error('the shipped NER model has no files.json');
    expect((device.body as Device).version).toContainEqual(
      expect.objectContaining({
        type: expect.objectContaining({ text: 'chartmine-ner' }),
        value: `${shipped.version}+q8`,
        component: { system: expect.stringContaining('sha256'), value: shipped.files['onnx/model_quantized.onnx'].sha256 },
      })
    );
  });

  test('the same version notified again, or re-saved unchanged, writes nothing new', async () => {
    const before = await countAll();
    const notified = await app.request('POST', '/notify', note);
    expect(notified.status).toBe(202);
    const resaved = await app.request('PUT', `/fhir/R4/DocumentReference/${note.id}`, note);
    expect(resaved.status).toBe(200);
    expect(resaved.body.meta?.versionId).toBe(note.meta?.versionId);
    await app.idle();
    expect(await countAll()).toEqual(before);
  });

  test('analysing the same version a second time (a new job, e.g. a replay) also writes nothing new', async () => {
    const before = await countAll();
    const jobId = await app.handle.producer.enqueue(
      { noteId: note.id as string, versionId: note.meta?.versionId as string, requestId: 'replay' },
      { jobIdSuffix: 'replay' }
    );
    await app.idle();
    const job = await app.handle.producer.queue.getJob(jobId);
    expect(job?.returnvalue).toMatchObject({ outcome: 'unchanged', created: 0, updated: 0, retracted: 0 });
    expect(await countAll()).toEqual(before);
  });
});
