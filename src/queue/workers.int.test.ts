import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import type { Bundle, DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { Queue, type Job, type Worker } from 'bullmq';
import { aNote } from '../../test/builders/note.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../test/support/redis.js';
import { scriptedPipeline } from '../../test/support/scripted-pipeline.js';
import { UnsupportedContentError, UpstreamError } from '../errors.js';
import { DEFAULT_MAPPING_OPTIONS } from '../fhir/finding-types.js';
import type { FhirGateway } from '../fhir/gateway.js';
import type { AnalyzeNoteJobData, AnalyzeNoteResult } from '../jobs/analyze-note.job.js';
import { createLogger } from '../observability/logger.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { ANALYZE_NOTE_JOB, ANALYZE_NOTE_QUEUE, AnalyzeNoteProducer } from './analyze-note.queue.js';
import { createRedis } from './connection.js';
import { NoteLocks } from './document-lock.js';
import { startAnalyzeNoteWorker } from './workers.js';
import { runCli } from '../../test/support/cli.js';

async function runJobsCli(args: string[], prefix: string): Promise<string> {
  const [queuePrefix, namespace] = prefix.split(':');
  const { code, out } = await runCli(args, { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: queuePrefix, QUEUE_NAMESPACE: namespace });
  expect(code).toBe(0);
  return out;
}

/** An in-memory FHIR server standing in for the gateway; `failures` scripts errors for the next calls. */
function fakeGateway(note: WithId<DocumentReference>, failures: Error[] = []): FhirGateway & { transactions: Bundle[] } {
  const transactions: Bundle[] = [];
  return {
    baseUrl: 'http://fake/fhir/',
    transactions,
    async readNote() {
      const failure = failures.shift();
      if (failure) throw failure;
      return { state: 'found', note };
    },
    async readAttachment() {
      throw new UnsupportedContentError('no attachments here');
    },
    async readDerived(): Promise<Resource[]> {
      return [];
    },
    async executeTransaction(bundle) {
      transactions.push(bundle);
      return { resourceType: 'Bundle', type: 'transaction-response' };
    },
    async ensureDevice() {
      return { reference: 'Device/d1' };
    },
    async searchAll(): Promise<Resource[]> {
      return [];
    },
    async readHistory(): Promise<Resource[]> {
      return [];
    },
    async createResource<T extends Resource>(resource: T): Promise<T> {
      return resource;
    },
    async updateResource<T extends Resource>(resource: T): Promise<T> {
      return resource;
    },
    async checkReachable() {},
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function setUp(gateway: FhirGateway, leaseMs?: number): { prefix: string; queue: Queue<AnalyzeNoteJobData>; worker: Worker<AnalyzeNoteJobData, AnalyzeNoteResult>; locks: NoteLocks } {
  const prefix = `${uniquePrefix()}:ns`;
  const connection = createRedis(TEST_REDIS_URL, 'worker');
  const lockRedis = createRedis(TEST_REDIS_URL, 'client');
  const queue = new Queue<AnalyzeNoteJobData>(ANALYZE_NOTE_QUEUE, { connection: createRedis(TEST_REDIS_URL, 'worker'), prefix });
  const nlp = scriptedPipeline();
  const locks = new NoteLocks(lockRedis, prefix, leaseMs ? { leaseMs, renewMs: Math.floor(leaseMs / 3) } : {});
  const log = createLogger('silent');
  const worker = startAnalyzeNoteWorker({
    connection,
    prefix,
    concurrency: 1,
    locks,
    log,
    deps: {
      fhir: gateway,
      nlp,
      software: buildSoftwareInfo('test', nlp.info),
      device: () => gateway.ensureDevice({ resourceType: 'Device' }),
      mapping: DEFAULT_MAPPING_OPTIONS,
      maxDocumentBytes: 1 << 20,
      clock: { nowIso: () => '2026-11-26T00:00:00Z' },
      log,
    },
  });
  cleanups.push(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    lockRedis.disconnect();
    await deleteKeys(prefix.split(':')[0]);
  });
  return { prefix, queue, worker, locks };
}

const storedNote = (text: string): WithId<DocumentReference> =>
  ({ ...aNote({ text }), id: 'n1', meta: { versionId: '7' } }) as WithId<DocumentReference>;

describe('analyze-note worker on real Redis', () => {
  test('a permanent error fails the job at once, keeping an OperationOutcome as the reason', async () => {
    const note = { ...storedNote('x'), content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0=' } }] } as WithId<DocumentReference>;
    const { queue, worker } = setUp(fakeGateway(note));
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const [job] = (await once(worker, 'failed')) as [Job];
    expect(job.attemptsMade).toBe(1);
    const outcome = JSON.parse(job.failedReason);
    expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported', details: { coding: [{ code: 'error-unsupported-content' }] } }] });
    expect(await queue.getFailedCount()).toBe(1);
  });

  test('a failed job is kept and replayed by `chartmine jobs retry` under the same id', async () => {
    const broken = { ...storedNote('x'), content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0=' } }] } as WithId<DocumentReference>;
    const gateway = fakeGateway(broken);
    const { queue, worker, prefix } = setUp(gateway);
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { jobId: 'note-n1-v7' });
    await once(worker, 'failed');
    const failed = await runJobsCli(['jobs', 'failed'], prefix);
    expect(JSON.parse(failed)).toMatchObject({ id: 'note-n1-v7', note: 'DocumentReference/n1', reason: { resourceType: 'OperationOutcome' } });
    // The operator fixes the cause (here: the note becomes readable), then replays.
    Object.assign(broken, storedNote('Hypertension.'));
    const completed = once(worker, 'completed');
    expect(JSON.parse(await runJobsCli(['jobs', 'retry', '--all-failed'], prefix))).toEqual({ retried: 1 });
    const [job] = (await completed) as [Job];
    expect(job.id).toBe('note-n1-v7');
    expect(gateway.transactions).toHaveLength(1);
  });

  test('a transient error is retried and the job then completes', async () => {
    const gateway = fakeGateway(storedNote('Hypertension.'), [new UpstreamError('FHIR server answered 503')]);
    const { queue, worker } = setUp(gateway);
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    const [job, result] = (await once(worker, 'completed')) as [Job, AnalyzeNoteResult];
    expect(job.attemptsMade).toBe(2);
    expect(result).toMatchObject({ outcome: 'written', created: 1 });
    expect(gateway.transactions).toHaveLength(1);
  });

  test('a superseded version is skipped without writing', async () => {
    const gateway = fakeGateway(storedNote('Hypertension.'));
    const { queue, worker } = setUp(gateway);
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '6', requestId: 'r1' });
    const [, result] = (await once(worker, 'completed')) as [Job, AnalyzeNoteResult];
    expect(result).toEqual({ outcome: 'skipped', reason: 'superseded' });
    expect(gateway.transactions).toHaveLength(0);
  });

  test('a note locked by another worker waits without spending an attempt', async () => {
    const gateway = fakeGateway(storedNote('Hypertension.'));
    const { queue, worker, locks } = setUp(gateway);
    const lease = await locks.tryAcquire('n1');
    expect(lease).toBeDefined();
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { attempts: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await queue.getDelayedCount()).toBe(1);
    await lease?.release();
    const [job] = (await once(worker, 'completed')) as [Job];
    expect(job.attemptsMade).toBe(1);
    expect(gateway.transactions).toHaveLength(1);
  });
});

describe('AnalyzeNoteProducer', () => {
  test('the same note version queued twice is one job', async () => {
    const prefix = uniquePrefix();
    const redis = createRedis(TEST_REDIS_URL, 'producer');
    const producer = new AnalyzeNoteProducer(redis, prefix);
    cleanups.push(async () => {
      await producer.queue.obliterate({ force: true });
      await producer.close();
      redis.disconnect();
      await deleteKeys(prefix);
    });
    const a = await producer.enqueue({ noteId: 'n1', versionId: '1', requestId: 'r1' });
    const b = await producer.enqueue({ noteId: 'n1', versionId: '1', requestId: 'r2' });
    const c = await producer.enqueue({ noteId: 'n1', versionId: '2', requestId: 'r3' });
    expect(a).toBe('note-n1-v1');
    expect(b).toBe(a);
    expect(c).toBe('note-n1-v2');
    expect(await producer.queue.getWaitingCount()).toBe(2);
    const job = await producer.queue.getJob(a);
    expect(job?.data).toEqual({ noteId: 'n1', versionId: '1', requestId: 'r1' });
  });

  test('enqueueing while Redis is unreachable fails fast with a retryable error', async () => {
    const redis = createRedis('redis://127.0.0.1:1', 'producer');
    const producer = new AnalyzeNoteProducer(redis, uniquePrefix());
    producer.queue.on('error', () => undefined);
    const started = Date.now();
    await expect(producer.enqueue({ noteId: 'n1', versionId: '1', requestId: 'r' })).rejects.toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await producer.close().catch(() => undefined);
    redis.disconnect();
  });
});
