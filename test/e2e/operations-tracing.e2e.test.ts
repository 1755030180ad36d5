/**
 * OpenTelemetry tracing in process, with an in-memory exporter: a note notified to instance B (which reads and writes
 * instance A's embedded store over HTTP) yields one trace from `notify` through `queue.add` and the job to the FHIR
 * transaction, with a span per stage; the job's log lines carry its jobId and the traceId; no span carries note text.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { startTracing, type Tracing } from '../../src/observability/tracing-sdk.js';
import { A_TOKEN, asFixtureNote, BEARER, createNote, NOTIFY_SECRET, notify } from '../support/notify.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SENTINEL = 'OKAPI-MARBLE-9021';
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let a: TestServer;
let b: TestServer;
const lines: string[] = [];
let noteId: string;

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'chartmine-test', spanProcessor: new SimpleSpanProcessor(exporter) });
  a = await startTestServer({ pipeline: realPipeline, env: { WORKERS: '0', API_TOKEN: A_TOKEN } });
  b = await startTestServer({
    pipeline: realPipeline,
    env: { FHIR_BASE_URL: a.handle.fhirBaseUrl, FHIR_TOKEN: A_TOKEN, NOTIFY_SECRET, WORKERS: '1' },
    log: createLogger('info', { write: (line: string) => void lines.push(line) }),
  });
  const note = await createNote(a, { text: `Hypertension. Denies chest pain. ${SENTINEL}` });
  noteId = note.id ?? '';
  exporter.reset(); // only what the notification causes
  expect((await notify(b, JSON.stringify(asFixtureNote(note)), BEARER)).status).toBe(202);
  await b.idle(30_000);
  await tracing.forceFlush();
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await tracing?.shutdown();
});

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

test('one trace from the notification to the write-back, spans chained notify → queue.add → job → stages → fhir.*', () => {
  const spans = exporter.getFinishedSpans();
  const notifySpan = spans.find((s) => s.name === 'notify');
  expect(notifySpan).toBeDefined();
  const traceId = notifySpan?.spanContext().traceId ?? '';
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
  const named = (name: string): ReadableSpan[] => inTrace.filter((s) => s.name === name);

  const [enqueue] = named('queue.add');
  expect(parentOf(enqueue)).toBe(notifySpan?.spanContext().spanId);
  const [job] = named('job analyze-note');
  expect(job, 'the worker continues the notification trace').toBeDefined();
  expect(parentOf(job)).toBe(enqueue.spanContext().spanId);
  expect(job.attributes['messaging.message.id']).toMatch(new RegExp(`^note-${noteId}-v`));

  for (const stage of ['read', 'sections', 'matching', 'mapping', 'write']) {
    const spansOfStage = named(`stage ${stage}`);
    expect(spansOfStage.length, stage).toBeGreaterThanOrEqual(1);
  }
  // The rule stages run inside the pipeline, under the job.
  const jobSpanId = job.spanContext().spanId;
  expect(named('stage sections').every((s) => parentOf(s) === jobSpanId)).toBe(true);
  // FHIR requests: reads under the read stage, the transaction under the write stage.
  const readStageIds = new Set(named('stage read').map((s) => s.spanContext().spanId));
  expect(named('fhir.read').some((s) => readStageIds.has(parentOf(s) ?? ''))).toBe(true);
  const [transaction] = named('fhir.transaction');
  expect(transaction.attributes['http.response.status_code']).toBe(200);
  expect(parentOf(transaction)).toBe(named('stage write')[0].spanContext().spanId);
});

test('no span name or attribute carries note text', () => {
  const spans = exporter.getFinishedSpans();
  expect(spans.length).toBeGreaterThan(8);
  const dump = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
  expect(dump).not.toContain(SENTINEL);
  expect(dump).not.toContain('Hypertension.');
});

test("the job's log lines carry its jobId and the traceId of the notification", () => {
  const traceId = exporter.getFinishedSpans().find((s) => s.name === 'notify')?.spanContext().traceId;
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const analysed = parsed.find((l) => l.msg === 'note analyzed');
  expect(analysed?.jobId).toMatch(new RegExp(`^note-${noteId}-v`));
  expect(analysed?.traceId).toBe(traceId);
  // Every line the job wrote carries both; the key appears once per line (mixin, not also a binding).
  const ofJob = parsed.filter((l) => l.jobId === analysed?.jobId && l.msg !== 'job failed');
  expect(ofJob.length).toBeGreaterThanOrEqual(1);
  expect(ofJob.every((l) => l.traceId === traceId)).toBe(true);
  expect(lines.filter((l) => l.includes(`"jobId":"${String(analysed?.jobId)}"`)).every((l) => l.split('"traceId"').length === 2)).toBe(true);
  expect(lines.join('\n')).not.toContain(SENTINEL);
});
