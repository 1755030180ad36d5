/**
 * Patient feedback end to end on real parts: QuestionnaireResponses, patient Communications and feedback
 * DocumentReferences written to the embedded FHIR store (and, on a second instance, notified through /notify) are
 * queued on `nlp-analyze-feedback` (real Redis, real BullMQ), classified (lexicon) and mined for medications and
 * side effects by the shipped note pipeline, and written back as sentiment Observations with Provenance.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Communication, Device, DocumentReference, Extension, Medication, Observation, Provenance, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { CHARTMINE_CODES, DERIVATION_REFERENCE_URL, SOURCE_DOCUMENT_TAG_SYSTEM } from '../../src/fhir/naming.js';
import { analyzeFeedbackJobId } from '../../src/queue/analyze-feedback.queue.js';
import { aFeedbackDocument, aPatientMessage, aSurveyResponse } from '../builders/feedback.js';
import { BEARER, fhir, notify, search as searchA, startPair, type Pair } from '../support/notify.js';
import { createLogger } from '../../src/observability/logger.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const NEGATIVE = 'The lisinopril made me dizzy and I feel terrible.';
const POSITIVE = 'The nurses were friendly and very helpful.';

let app: TestServer;
const logLines: string[] = [];

async function search<T extends Resource>(query: string): Promise<T[]> {
  const response = await app.request<Bundle<T>>('GET', `/fhir/R4/${query}`);
  expect(response.status).toBe(200);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

function code(concept: { coding?: { system?: string; code?: string }[] } | undefined): string {
  return (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`).join(',');
}

function derivation(extensions: readonly Extension[] | undefined): { reference?: string; path?: string; offset?: number; length?: number } {
  const ext = (extensions ?? []).find((e) => e.url === DERIVATION_REFERENCE_URL);
  const part = (url: string): Extension | undefined => ext?.extension?.find((e) => e.url === url);
  return {
    reference: part('reference')?.valueReference?.reference,
    path: part('path')?.valueString,
    offset: part('offset')?.valueInteger,
    length: part('length')?.valueInteger,
  };
}

function byText(observations: readonly Observation[], text: string, source: QuestionnaireResponse): Observation {
  const found = observations.find((o) => {
    const d = derivation(o.extension);
    return d.path !== undefined && valueAt(source, d.path) === text;
  });
  if (!found) throw new Error('no Observation for the answer');
  return found;
}

/** The valueString at a FHIRPath like `QuestionnaireResponse.item[1].item[0].answer[0].valueString`. */
function valueAt(resource: unknown, path: string): unknown {
  let node: unknown = resource;
  for (const step of path.split('.').slice(1)) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(step);
    if (!m || typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[m[1]];
    if (m[2] !== undefined) node = Array.isArray(node) ? node[Number(m[2])] : undefined;
  }
  return node;
}

async function observationsOf(key: string): Promise<Observation[]> {
  return search<Observation>(`Observation?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${key}`)}&_count=100`);
}

describe('feedback written to the embedded store', () => {
  let qr: QuestionnaireResponse;

  beforeAll(async () => {
    app = await startTestServer({ pipeline: realPipeline, log: createLogger('debug', { write: (l: string) => void logLines.push(l) }) });
    const created = await app.request<QuestionnaireResponse>(
      'POST',
      '/fhir/R4/QuestionnaireResponse',
      aSurveyResponse([
        { linkId: 'medicine', answer: [{ valueString: NEGATIVE }] },
        { linkId: 'care', item: [{ linkId: 'care.staff', answer: [{ valueString: POSITIVE }] }] },
        { linkId: 'blank', answer: [{ valueString: '-' }] },
        { linkId: 'rating', answer: [{ valueInteger: 4 }] },
      ])
    );
    expect(created.status).toBe(201);
    qr = created.body;
    await app.idle();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  test('one sentiment Observation per free-text answer, with scores, medication focus and side effect', async () => {
    const observations = await observationsOf(`QuestionnaireResponse-${qr.id}`);
    expect(observations).toHaveLength(2);
    const negative = byText(observations, NEGATIVE, qr);
    const positive = byText(observations, POSITIVE, qr);
    for (const o of observations) {
      expect(o.status).toBe('final');
      expect(code(o.category?.[0])).toBe('http://terminology.hl7.org/CodeSystem/observation-category|survey');
      expect(code(o.code)).toBe(`${CHARTMINE_CODES}|feedback-sentiment`);
      expect(o.subject?.reference).toBe('Patient/fb-patient');
      expect(o.derivedFrom?.[0]?.reference).toBe(`QuestionnaireResponse/${qr.id}`);
      expect(derivation(o.extension).reference).toBe(`QuestionnaireResponse/${qr.id}/_history/${qr.meta?.versionId}`);
      const scores = (o.component ?? []).filter((c) => code(c.code).includes('sentiment-score-'));
      expect(scores).toHaveLength(3);
      const sum = scores.reduce((s, c) => s + (c.valueQuantity?.value ?? 0), 0);
      expect(sum).toBeGreaterThan(0.99);
      expect(sum).toBeLessThan(1.01);
    }
    expect(code(negative.valueCodeableConcept)).toBe(`${CHARTMINE_CODES}|sentiment-negative`);
    expect(code(positive.valueCodeableConcept)).toBe(`${CHARTMINE_CODES}|sentiment-positive`);
    expect(derivation(negative.extension)).toMatchObject({ path: 'QuestionnaireResponse.item[0].answer[0].valueString', offset: 0, length: NEGATIVE.length });
    expect(derivation(positive.extension).path).toBe('QuestionnaireResponse.item[1].item[0].answer[0].valueString');

    // The medication the answer is about: a contained Medication (RxNorm) the Observation focuses on.
    const medication = (negative.contained ?? [])[0] as Medication;
    expect(negative.focus?.[0]?.reference).toBe(`#${medication.id}`);
    expect(medication.code?.coding?.some((c) => c.system === RXNORM)).toBe(true);
    const medComponent = negative.component?.find((c) => code(c.code) === `${CHARTMINE_CODES}|mentioned-medication`);
    const medSpan = derivation(medComponent?.extension);
    expect(NEGATIVE.slice(medSpan.offset, (medSpan.offset ?? 0) + (medSpan.length ?? 0))).toBe('lisinopril');
    // "made me dizzy" → the side effect Dizziness, SNOMED CT 404640003, with its span.
    const sideEffect = negative.component?.find((c) => code(c.code) === `${CHARTMINE_CODES}|reported-side-effect`);
    expect(sideEffect?.valueCodeableConcept?.coding).toContainEqual(expect.objectContaining({ system: SNOMED, code: '404640003' }));
    const span = derivation(sideEffect?.extension);
    expect(NEGATIVE.slice(span.offset, (span.offset ?? 0) + (span.length ?? 0))).toBe('dizzy');
    expect(positive.focus).toBeUndefined();
  });

  test('a Provenance names the source version and the feedback pipeline Device with the classifier', async () => {
    const observations = await observationsOf(`QuestionnaireResponse-${qr.id}`);
    const provenances = await search<Provenance>(`Provenance?target=Observation/${observations[0].id}`);
    expect(provenances).toHaveLength(1);
    const provenance = provenances[0];
    expect(provenance.entity?.[0]?.what?.reference).toBe(`QuestionnaireResponse/${qr.id}/_history/${qr.meta?.versionId}`);
    expect(provenance.target?.map((t) => t.reference)).toEqual(expect.arrayContaining(observations.map((o) => expect.stringContaining(`Observation/${o.id}`))));
    const device = (await app.request<Device>('GET', `/fhir/R4/${provenance.agent?.[0]?.who?.reference}`)).body;
    expect(JSON.stringify(device.version)).toContain('chartmine-sentiment-lexicon');
  });

  test('empty and non-text answers are skipped with their reason; the job completes', async () => {
    const job = await app.handle.feedbackProducer.queue.getJob(
      analyzeFeedbackJobId({ resourceType: 'QuestionnaireResponse', id: qr.id as string, versionId: qr.meta?.versionId as string })
    );
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toMatchObject({ outcome: 'written', created: 2, skippedItems: { 'empty-text': 1, 'not-text': 1 } });
  });

  test('the same version processed again writes nothing; a new version rewrites only what changed', async () => {
    const key = `QuestionnaireResponse-${qr.id}`;
    const before = await observationsOf(key);
    const data = { resourceType: 'QuestionnaireResponse' as const, id: qr.id as string, versionId: qr.meta?.versionId as string, requestId: 'again' };
    const jobId = await app.handle.feedbackProducer.enqueue(data, { jobIdSuffix: 'again' });
    await app.idle();
    const again = await app.handle.feedbackProducer.queue.getJob(jobId);
    expect(again?.returnvalue).toMatchObject({ outcome: 'unchanged', unchanged: 2, created: 0, updated: 0 });
    expect((await observationsOf(key)).map((o) => o.meta?.versionId)).toEqual(before.map((o) => o.meta?.versionId));

    const changed = structuredClone(qr);
    changed.item = [
      { linkId: 'medicine', answer: [{ valueString: NEGATIVE }] },
      { linkId: 'care', item: [{ linkId: 'care.staff', answer: [{ valueString: 'The nurses were rude and I waited for hours.' }] }] },
    ];
    const updated = await app.request<QuestionnaireResponse>('PUT', `/fhir/R4/QuestionnaireResponse/${qr.id}`, changed);
    expect(updated.status).toBe(200);
    await app.idle();
    const after = await observationsOf(key);
    expect(after).toHaveLength(2);
    const staff = after.find((o) => derivation(o.extension).path?.startsWith('QuestionnaireResponse.item[1]'));
    expect(code(staff?.valueCodeableConcept)).toBe(`${CHARTMINE_CODES}|sentiment-negative`);
    const medicine = after.find((o) => derivation(o.extension).path?.startsWith('QuestionnaireResponse.item[0]'));
    const medicineBefore = before.find((o) => o.id === medicine?.id);
    expect(medicine?.meta?.versionId).toBe(medicineBefore?.meta?.versionId); // unchanged: not rewritten
  });

  test('a patient message and a feedback DocumentReference are analysed; a clinician message is not', async () => {
    const message = (await app.request<Communication>('POST', '/fhir/R4/Communication', aPatientMessage(POSITIVE))).body;
    const fromClinician = (
      await app.request<Communication>('POST', '/fhir/R4/Communication', { ...aPatientMessage(NEGATIVE), sender: { reference: 'Practitioner/dr' } })
    ).body;
    const doc = (await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aFeedbackDocument(NEGATIVE))).body;
    await app.idle();
    const fromMessage = await observationsOf(`Communication-${message.id}`);
    expect(fromMessage).toHaveLength(1);
    expect(code(fromMessage[0].valueCodeableConcept)).toBe(`${CHARTMINE_CODES}|sentiment-positive`);
    expect(derivation(fromMessage[0].extension).path).toBe('Communication.payload[0].contentString');
    expect(await observationsOf(`Communication-${fromClinician.id}`)).toHaveLength(0);
    const clinicianJob = await app.handle.feedbackProducer.queue.getJob(
      analyzeFeedbackJobId({ resourceType: 'Communication', id: fromClinician.id as string, versionId: fromClinician.meta?.versionId as string })
    );
    expect(clinicianJob?.returnvalue).toEqual({ outcome: 'skipped', reason: 'not-patient-authored' });
    // The feedback document: never analysed as a clinical note (no Condition), one sentiment Observation instead.
    const fromDoc = await observationsOf(doc.id as string);
    expect(fromDoc).toHaveLength(1);
    expect(code(fromDoc[0].valueCodeableConcept)).toBe(`${CHARTMINE_CODES}|sentiment-negative`);
    expect(derivation(fromDoc[0].extension).path).toBe('DocumentReference.content[0].attachment');
    expect(await search(`Condition?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${doc.id}`)}`)).toHaveLength(0);
    const noteJob = await app.handle.producer.queue.getJob(`note-${doc.id}-v${doc.meta?.versionId}`);
    expect(noteJob?.returnvalue).toEqual({ outcome: 'skipped', reason: 'feedback-document' });

    // A reprocess (as `chartmine reprocess` queues it) runs the feedback job again under the run's suffix: unchanged.
    const run = 'reprocess-20261205000000-abcdef';
    await app.handle.producer.enqueue({ noteId: doc.id as string, versionId: doc.meta?.versionId as string, requestId: run }, { jobIdSuffix: run });
    await app.idle();
    const again = await app.handle.feedbackProducer.queue.getJob(
      `${analyzeFeedbackJobId({ resourceType: 'DocumentReference', id: doc.id as string, versionId: doc.meta?.versionId as string })}-${run}`
    );
    expect(again?.returnvalue).toMatchObject({ outcome: 'unchanged', unchanged: 1 });
  });

  test('feedback text never reaches the logs; skipped items are logged as counts', async () => {
    const logs = logLines.join('\n');
    expect(logs).toContain('feedback analyzed');
    expect(logs).toContain('"empty-text":1');
    for (const text of [NEGATIVE, POSITIVE, 'made me dizzy', 'friendly']) expect(logs).not.toContain(text);
  });

  test('a survey without a subject fails at once with its reason; an unfinished one is skipped; the worker goes on', async () => {
    const noSubject = { ...aSurveyResponse([{ linkId: 'q', answer: [{ valueString: NEGATIVE }] }]), subject: undefined, source: undefined };
    const orphan = (await app.request<QuestionnaireResponse>('POST', '/fhir/R4/QuestionnaireResponse', noSubject)).body;
    const draft = (
      await app.request<QuestionnaireResponse>('POST', '/fhir/R4/QuestionnaireResponse', { ...aSurveyResponse([{ linkId: 'q', answer: [{ valueString: POSITIVE }] }]), status: 'in-progress' })
    ).body;
    const next = (await app.request<Communication>('POST', '/fhir/R4/Communication', aPatientMessage(POSITIVE))).body;
    await app.idle();
    const jobOf = (type: 'QuestionnaireResponse' | 'Communication', r: { id?: string; meta?: { versionId?: string } }) =>
      app.handle.feedbackProducer.queue.getJob(analyzeFeedbackJobId({ resourceType: type, id: r.id as string, versionId: r.meta?.versionId as string }));
    const failed = await jobOf('QuestionnaireResponse', orphan);
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1); // not retryable: no five attempts for a resource that cannot change by waiting
    expect(failed?.failedReason).toContain('error-missing-subject');
    expect(failed?.failedReason).not.toContain(NEGATIVE);
    expect((await jobOf('QuestionnaireResponse', draft))?.returnvalue).toEqual({ outcome: 'skipped', reason: 'preliminary' });
    expect((await jobOf('Communication', next))?.returnvalue).toMatchObject({ outcome: 'written', created: 1 });
  });

  test('deleting the source retracts its Observations', async () => {
    const message = (await app.request<Communication>('POST', '/fhir/R4/Communication', aPatientMessage(NEGATIVE))).body;
    await app.idle();
    expect((await observationsOf(`Communication-${message.id}`))[0]?.status).toBe('final');
    expect((await app.request('DELETE', `/fhir/R4/Communication/${message.id}`)).status).toBe(200);
    await app.idle();
    expect((await observationsOf(`Communication-${message.id}`)).map((o) => o.status)).toEqual(['entered-in-error']);
  });
});

describe('feedback notified through /notify', () => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair(realPipeline);
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  async function observationsInA(key: string): Promise<Observation[]> {
    return searchA<Observation>(pair.a, `Observation?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${key}`)}`);
  }

  test('rest-hook with the QuestionnaireResponse, HAPI path form, and an R5 topic notification for a Communication', async () => {
    const qr = (await fhir<QuestionnaireResponse>(pair.a, 'POST', 'QuestionnaireResponse', aSurveyResponse([{ linkId: 'q', answer: [{ valueString: NEGATIVE }] }]))).body;
    const posted = await notify(pair.b, JSON.stringify(qr), BEARER);
    expect(posted.status).toBe(202);
    expect(posted.body.issue[0].diagnostics).toBe(`feedback-QuestionnaireResponse-${qr.id}-v${qr.meta?.versionId}`);
    // The same version notified again (HAPI's PUT form): the same job, nothing new.
    const again = await notify(pair.b, JSON.stringify(qr), BEARER, 'PUT', `/QuestionnaireResponse/${qr.id}`);
    expect(again.status).toBe(202);
    expect(again.body.issue[0].diagnostics).toBe(posted.body.issue[0].diagnostics);

    const message = (await fhir<Communication>(pair.a, 'POST', 'Communication', aPatientMessage(POSITIVE))).body;
    const topic = {
      resourceType: 'Bundle',
      type: 'subscription-notification',
      entry: [
        {
          resource: {
            resourceType: 'SubscriptionStatus',
            status: 'active',
            type: 'event-notification',
            eventsSinceSubscriptionStart: '1',
            subscription: { reference: 'Subscription/feedback' },
            topic: 'https://chartmine.dev/fhir/SubscriptionTopic/patient-feedback',
            notificationEvent: [{ eventNumber: '1', focus: { reference: `Communication/${message.id}` } }],
          },
        },
      ],
    };
    const viaTopic = await notify(pair.b, JSON.stringify(topic), BEARER);
    expect(viaTopic.status).toBe(202);
    expect(viaTopic.body.issue[0].diagnostics).toBe(`feedback-Communication-${message.id}-v${message.meta?.versionId}`);
    await pair.b.idle();

    const fromQr = await observationsInA(`QuestionnaireResponse-${qr.id}`);
    expect(fromQr.map((o) => code(o.valueCodeableConcept))).toEqual([`${CHARTMINE_CODES}|sentiment-negative`]);
    const fromMessage = await observationsInA(`Communication-${message.id}`);
    expect(fromMessage.map((o) => code(o.valueCodeableConcept))).toEqual([`${CHARTMINE_CODES}|sentiment-positive`]);
    const jobs = await pair.b.handle.feedbackProducer.queue.getJobs(['completed', 'failed']);
    expect(jobs.map((j) => j.id).sort()).toEqual(
      [`feedback-Communication-${message.id}-v${message.meta?.versionId}`, `feedback-QuestionnaireResponse-${qr.id}-v${qr.meta?.versionId}`].sort()
    );
  });

  test('a notified survey with only empty answers completes with the reason, writing nothing', async () => {
    const qr = (
      await fhir<QuestionnaireResponse>(pair.a, 'POST', 'QuestionnaireResponse', aSurveyResponse([{ linkId: 'q', answer: [{ valueString: '...' }] }, { linkId: 'r', answer: [{ item: [{ linkId: 'r.1' }] }] }]))
    ).body;
    expect((await notify(pair.b, JSON.stringify(qr), BEARER)).status).toBe(202);
    await pair.b.idle();
    const job = await pair.b.handle.feedbackProducer.queue.getJob(
      analyzeFeedbackJobId({ resourceType: 'QuestionnaireResponse', id: qr.id as string, versionId: qr.meta?.versionId as string })
    );
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toMatchObject({ outcome: 'unchanged', created: 0, skippedItems: { 'empty-text': 2 } });
    expect(await observationsInA(`QuestionnaireResponse-${qr.id}`)).toHaveLength(0);
  });
});

describe('SENTIMENT_MODEL=none', () => {
  let off: TestServer;

  beforeAll(async () => {
    off = await startTestServer({ pipeline: realPipeline, env: { SENTIMENT_MODEL: 'none' } });
  }, 60_000);

  afterAll(async () => {
    await off?.close();
  });

  test('feedback is queued, not consumed: the job waits and nothing is written', async () => {
    expect(off.handle.worker?.feedbackWorker).toBeUndefined();
    const qr = (await off.request<QuestionnaireResponse>('POST', '/fhir/R4/QuestionnaireResponse', aSurveyResponse([{ linkId: 'q', answer: [{ valueString: NEGATIVE }] }]))).body;
    await off.idle();
    const job = await off.handle.feedbackProducer.queue.getJob(
      analyzeFeedbackJobId({ resourceType: 'QuestionnaireResponse', id: qr.id as string, versionId: qr.meta?.versionId as string })
    );
    expect(await job?.getState()).toBe('waiting');
    const written = await off.request<Bundle>('GET', `/fhir/R4/Observation?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|QuestionnaireResponse-${qr.id}`)}`);
    expect(written.body.entry ?? []).toHaveLength(0);
  });
});
