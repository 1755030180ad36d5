/**
 * `chartmine reprocess` after a pipeline upgrade: notes analysed by pipeline v1 are re-run through the queue by a
 * worker with pipeline v2; only what v2 says differently is written, under a Provenance naming v2, with job ids
 * distinct from the original ones.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Condition, Device, Provenance } from '@medplum/fhirtypes';
import { loadConfig } from '../../src/config/config.js';
import type { Mention, NlpPipeline, NlpResult } from '../../src/nlp/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { startWorkerProcess, type WorkerHandle } from '../../src/worker-runtime.js';
import { aNote } from '../builders/note.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { SCRIPTED_CONCEPTS } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { runCli } from '../support/cli.js';

const SOURCE = 'https://chartmine.dev/fhir/CodeSystem/source-document';
const PIPELINE_TAG = 'https://chartmine.dev/fhir/CodeSystem/pipeline-version';

/** v1 knows hypertension; v2 also knows asthma (a terminology upgrade, say). */
function pipeline(version: 'v1' | 'v2'): NlpPipeline {
  const words = version === 'v1' ? ['hypertension'] : ['hypertension', 'asthma'];
  return {
    info: { name: 'reprocess-test', version, components: [{ name: 'terminology', version }] },
    async analyze(text: string): Promise<NlpResult> {
      const mentions: Mention[] = [];
      for (const word of words) {
        for (const m of text.matchAll(new RegExp(`\\b${word}\\b`, 'gi'))) {
          const start = m.index ?? 0;
          mentions.push({
            kind: 'problem',
            id: `problem-${start}`,
            span: { start, end: start + word.length },
            sentence: 0,
            section: undefined,
            concept: SCRIPTED_CONCEPTS[word],
            assertion: 'affirmed',
            confidence: 0.9,
            sources: ['dictionary'],
          });
        }
      }
      return { sections: [], sentences: [{ start: 0, end: text.length, section: -1 }], mentions };
    },
  };
}

let server: TestServer;
let worker: WorkerHandle;

async function startWorker(version: 'v1' | 'v2'): Promise<WorkerHandle> {
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: server.prefix, FHIR_BASE_URL: server.handle.fhirBaseUrl, WORKERS: '1' });
  return startWorkerProcess(config, createLogger('silent'), async () => pipeline(version));
}

async function search<T>(query: string): Promise<T[]> {
  const response = await server.request<Bundle>('GET', `/fhir/R4/${query}`);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

async function reprocess(args: string[]): Promise<{ code: number; summary: Record<string, unknown>; stderr: string }> {
  const env = { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: server.prefix, FHIR_BASE_URL: server.handle.fhirBaseUrl };
  const { code, out, err } = await runCli(['reprocess', ...args], env);
  return { code, summary: out.trim() ? (JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>) : {}, stderr: err };
}

beforeAll(async () => {
  server = await startTestServer({ pipeline: async () => pipeline('v1'), env: { WORKERS: '0' } });
  worker = await startWorker('v1');
});

afterAll(async () => {
  await worker?.close();
  await server?.close();
});

describe('chartmine reprocess', () => {
  test('re-runs every note through the queue with the new pipeline, writing only the differences', async () => {
    const a = (await server.request('POST', '/fhir/R4/DocumentReference', aNote({ subject: 'Patient/rp-1', text: 'Hypertension and asthma.' }))).body;
    const b = (await server.request('POST', '/fhir/R4/DocumentReference', aNote({ subject: 'Patient/rp-2', text: 'Hypertension.' }))).body;
    await server.idle();
    const [htnBefore] = await search<Condition>('Condition?subject=Patient/rp-1');
    expect(await search<Condition>('Condition?subject=Patient/rp-1')).toHaveLength(1);

    await worker.close();
    worker = await startWorker('v2');
    const v2 = worker.software.pipelineVersion;
    const run = await reprocess(['--all', '--timeout', '60']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary).toMatchObject({ notes: 2, queued: 2, completed: 2, failed: 0, written: 1, unchanged: 1 });
    expect(run.stderr).toContain('100% (2/2 notes)');

    const after = await search<Condition>('Condition?subject=Patient/rp-1');
    const htn = after.find((c) => c.id === htnBefore.id) as Condition;
    expect(htn.meta?.versionId).toBe(htnBefore.meta?.versionId); // unchanged: not rewritten
    const asthma = after.find((c) => c.id !== htnBefore.id) as Condition;
    expect(asthma.meta?.tag).toContainEqual({ system: PIPELINE_TAG, code: v2 });

    const provenances = await search<Provenance>(`Provenance?_tag=${PIPELINE_TAG}|${encodeURIComponent(v2)}`);
    expect(provenances).toHaveLength(1);
    expect(provenances[0].target).toEqual([{ reference: `Condition/${asthma.id}/_history/${asthma.meta?.versionId}` }, { reference: `Condition/${asthma.id}` }]);
    const device = (await server.request<Device>('GET', `/fhir/R4/${provenances[0].agent[0].who?.reference}`)).body;
    expect(device.version?.find((v) => v.type?.coding?.[0].code === 'pipeline')?.value).toBe(v2);
    expect(await search<Provenance>(`Provenance?_tag=${SOURCE}|${b.id}&_tag=${PIPELINE_TAG}|${encodeURIComponent(v2)}`)).toEqual([]);

    const jobs = await server.handle.producer.queue.getJobs(['completed']);
    const ids = jobs.map((j) => j.id as string);
    expect(ids).toContain(`note-${a.id}-v${a.meta?.versionId}`);
    expect(ids.filter((id) => id.startsWith(`note-${a.id}-v${a.meta?.versionId}-reprocess-`))).toHaveLength(1);
  });

  test('--document and --since select notes; a second run gets new job ids and writes nothing', async () => {
    const c = (await server.request('POST', '/fhir/R4/DocumentReference', aNote({ subject: 'Patient/rp-3', text: 'Asthma.' }))).body;
    await server.idle();
    const byDocument = await reprocess(['--document', c.id as string, '--timeout', '60']);
    expect(byDocument.summary).toMatchObject({ notes: 1, completed: 1, unchanged: 1 });
    const since = await reprocess(['--since', '2000-01-01', '--no-wait']);
    expect(since.summary).toMatchObject({ notes: 3, queued: 3 });
    await server.idle();
    expect((await reprocess(['--since', '2999-01-01'])).summary).toMatchObject({ notes: 0, queued: 0 });
  });

  test('usage: exactly one selector', async () => {
    expect((await reprocess([])).code).toBe(2);
    expect((await reprocess(['--all', '--document', 'x'])).code).toBe(2);
    expect((await reprocess(['--since', 'yesterday'])).code).toBe(2);
  });
});
