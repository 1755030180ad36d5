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
import { ANALYZE_NOTE_JOB, ANALYZE_NOTE_QUEUE, AnalyzeNoteProducer, analyzeNoteJobId } from './analyze-note.queue.js';
import { createRedis } from './connection.js';
import { NOTE_LEASE_MS, NoteLocks, type NoteLease } from './document-lock.js';
import { startAnalyzeNoteWorker } from './workers.js';
import { runCli } from '../../test/support/cli.js';

async function runJobsCli(args: string[], prefix: string): Promise<string> {
  const [queuePrefix, namespace] = prefix.split(':');
  const { code, out } = await runCli(args, { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: queuePrefix, QUEUE_NAMESPACE: namespace });
  expect(code).toBe(0);
  return out;
}

/** An in-memory FHIR server standing in for the gateway; `failures` scripts errors for the next calls. */
function fakeGateway(
  note: WithId<DocumentReference> | undefined,
  failures: Error[] = []
): FhirGateway & { transactions: Bundle[]; note: WithId<DocumentReference> | undefined; served: Set<string> } {
  const transactions: Bundle[] = [];
  return {
    note,
    served: new Set<string>(),
    async hasNoteVersion(_id: string, versionId: string) {
      return this.served.has(versionId);
    },
    baseUrl: 'http://fake/fhir/',
    transactions,
    async readNote() {
      const failure = failures.shift();
      if (failure) throw failure;
      return this.note ? { state: 'found', note: this.note } : { state: 'missing' };
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

function setUp(
  gateway: FhirGateway,
  leaseMs?: number
): { prefix: string; queue: Queue<AnalyzeNoteJobData>; worker: Worker<AnalyzeNoteJobData, AnalyzeNoteResult>; locks: NoteLocks; producer: AnalyzeNoteProducer } {
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
  const producerRedis = createRedis(TEST_REDIS_URL, 'producer');
  const producer = new AnalyzeNoteProducer(producerRedis, prefix);
  cleanups.push(async () => {
    await worker.close();
    await producer.close();
    producerRedis.disconnect();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    lockRedis.disconnect();
    await deleteKeys(prefix.split(':')[0]);
  });
  return { prefix, queue, worker, locks, producer };
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

describe('leases and fencing (issue 12 items 1 and 8)', () => {
  test('taking a lease issues a larger fencing token each time; a lease renewed while alive outlives its ttl', async () => {
    const redis = createRedis(TEST_REDIS_URL, 'client');
    const prefix = uniquePrefix();
    cleanups.push(async () => (redis.disconnect(), await deleteKeys(prefix)));
    const locks = new NoteLocks(redis, prefix, { leaseMs: 300, renewMs: 100 });
    const first = await locks.tryAcquire('n1');
    expect(first).toBeDefined();
    expect(await locks.tryAcquire('n1')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 700)); // more than twice the lease: alive, so renewed
    await expect(first?.assertHeld()).resolves.toBeUndefined();
    await first?.release();
    const second = await locks.tryAcquire('n1');
    expect(second?.token).toBeGreaterThan(first?.token ?? Infinity);
    await second?.release();
    // The default lease is short: a crashed worker's note is free again within seconds, not minutes.
    expect(NOTE_LEASE_MS).toBeLessThanOrEqual(15_000);
  });

  test('a run that lost its lease while stalled writes nothing; it runs again and ends superseded by the newer version', async () => {
    const gateway = fakeGateway(storedNote('Hypertension.'));
    const { queue, worker, prefix } = setUp(gateway);
    const redis = createRedis(TEST_REDIS_URL, 'client');
    cleanups.push(async () => redis.disconnect());
    const other = new NoteLocks(redis, prefix);
    let takeover: NoteLease | undefined;
    const read = gateway.readNote.bind(gateway);
    gateway.readNote = async (id) => {
      const answer = await read(id);
      if (!takeover) {
        // The run stalls past its lease; the lease expires and the run of version 8 takes the note, writes, leaves.
        await redis.del(`${prefix}:lock:note:n1`);
        takeover = await other.tryAcquire('n1');
        gateway.note = { ...storedNote('Asthma.'), meta: { versionId: '8' } };
        setTimeout(() => void takeover?.release(), 200);
      }
      return answer;
    };
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { attempts: 1 });
    const [job, result] = (await once(worker, 'completed')) as [Job, AnalyzeNoteResult];
    expect(result).toEqual({ outcome: 'skipped', reason: 'superseded' });
    expect(gateway.transactions).toHaveLength(0);
    expect(job.attemptsMade).toBe(1); // put back without spending its only attempt
    expect(takeover?.token).toBeGreaterThan(1);
  });

  test("a crashed worker's lease frees the note within the lease; the waiting job is delayed, not spun", async () => {
    const gateway = fakeGateway(storedNote('Hypertension.'));
    const { queue, worker, prefix } = setUp(gateway);
    const crashed = createRedis(TEST_REDIS_URL, 'client');
    crashed.on('error', () => undefined);
    const held = await new NoteLocks(crashed, prefix, { leaseMs: 1_500, renewMs: 500 }).tryAcquire('n1');
    expect(held).toBeDefined();
    crashed.disconnect(); // the holder dies: nothing renews its lease any more
    const started = Date.now();
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { attempts: 1 });
    const [job] = (await once(worker, 'completed')) as [Job];
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBeLessThanOrEqual(5); // a few delayed waits, not a 1 s spin
    expect(gateway.transactions).toHaveLength(1);
  });
});

describe('versions the server does not serve yet, missing notes, and job id reuse (issue 12 items 2 and 3)', () => {
  const fast = { attempts: 2, backoff: { type: 'fixed' as const, delay: 20 } };

  test('a NEWER version retries, then fails visibly with its reason; a later notification runs it again', async () => {
    const gateway = fakeGateway(storedNote('Hypertension.')); // the server serves version 7
    const { queue, worker, producer } = setUp(gateway);
    const data = { noteId: 'n1', versionId: '8', requestId: 'r1' };
    await queue.add(ANALYZE_NOTE_JOB, data, { jobId: analyzeNoteJobId(data), ...fast });
    const [failed] = (await once(worker, 'failed')) as [Job];
    expect(failed.attemptsMade).toBe(1);
    const [final] = (await once(worker, 'failed')) as [Job];
    expect(final.attemptsMade).toBe(2);
    expect(JSON.parse(final.failedReason)).toMatchObject({ issue: [{ code: 'not-found', details: { coding: [{ code: 'error-version-not-available' }] } }] });
    // Version 8 appears; its notification reuses the job id and runs it again instead of answering with the old job.
    gateway.note = { ...storedNote('Hypertension.'), meta: { versionId: '8' } };
    const completed = once(worker, 'completed');
    expect(await producer.enqueue({ ...data, requestId: 'r2' })).toBe(analyzeNoteJobId(data));
    const [job, result] = (await completed) as [Job, AnalyzeNoteResult];
    expect(job.id).toBe(analyzeNoteJobId(data));
    expect(result).toMatchObject({ outcome: 'written', created: 1 });
  });

  test('only an OLDER version is superseded (opaque version ids: the server history has it)', async () => {
    const gateway = fakeGateway({ ...storedNote('Hypertension.'), meta: { versionId: 'b-uuid' } });
    gateway.served.add('a-uuid');
    const { queue, worker } = setUp(gateway);
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: 'a-uuid', requestId: 'r1' }, fast);
    const [, result] = (await once(worker, 'completed')) as [Job, AnalyzeNoteResult];
    expect(result).toEqual({ outcome: 'skipped', reason: 'superseded' });
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: 'c-uuid', requestId: 'r2' }, fast);
    const [failed] = (await once(worker, 'failed')) as [Job];
    expect(failed.failedReason).toContain('error-version-not-available');
    expect(gateway.transactions).toHaveLength(0);
  });

  test('a note that cannot be read is never completed: failed with its reason, kept, replayable', async () => {
    const gateway = fakeGateway(undefined);
    const { queue, worker } = setUp(gateway);
    await queue.add(ANALYZE_NOTE_JOB, { noteId: 'n1', versionId: '7', requestId: 'r1' }, { ...fast, attempts: 1 });
    const [job] = (await once(worker, 'failed')) as [Job];
    expect(JSON.parse(job.failedReason)).toMatchObject({ issue: [{ code: 'not-found', details: { coding: [{ code: 'error-note-missing' }] } }] });
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 1 });
  });

  test('a skipped job does not swallow a later notification for the same version; a waiting one still collapses', async () => {
    const gateway = fakeGateway({ ...storedNote('Hypertension.'), docStatus: 'preliminary' });
    const { worker, producer } = setUp(gateway);
    const data = { noteId: 'n1', versionId: '7', requestId: 'r1' };
    const skipped = once(worker, 'completed');
    await producer.enqueue(data);
    expect((await skipped)[1]).toEqual({ outcome: 'skipped', reason: 'preliminary' });
    gateway.note = storedNote('Hypertension.'); // the server now serves it as final
    const written = once(worker, 'completed');
    await producer.enqueue({ ...data, requestId: 'r2' });
    expect((await written)[1]).toMatchObject({ outcome: 'written', created: 1 });
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
