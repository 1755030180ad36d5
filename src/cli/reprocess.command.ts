import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
import { configuredFhirBaseUrl, createFhirClient } from '../fhir/client-factory.js';
import type { FhirGateway } from '../fhir/gateway.js';
import type { AnalyzeNoteResult } from '../jobs/analyze-note.job.js';
import { AnalyzeNoteProducer } from '../queue/analyze-note.queue.js';
import { createRedis } from '../queue/connection.js';
import { namespacedPrefix, queueNamespace } from '../queue/namespace.js';
import type { CliCommand, CliIo } from './command.js';
import { UsageError } from './command.js';
import { configurationHelp } from './configuration-help.js';

/** How often job states are polled while waiting. */
const POLL_MS = 500;
/** Job states read per poll (each is one Redis round trip). */
const POLL_BATCH = 200;

/**
 * `chartmine reprocess`: re-runs notes through the queue (after a model or terminology upgrade, a mapping change),
 * so the workers write only what the new pipeline says differently, under a Provenance naming the new pipeline.
 */
export const reprocessCommand: CliCommand = {
  name: 'reprocess',
  help: [
    'Usage: chartmine reprocess (--all | --since DATE | --document ID...) [--fhir URL] [--no-wait] [--timeout SECONDS]',
    '',
    'Queues the current version of each selected note as a new analyze-note job (id',
    'note-<id>-v<version>-reprocess-<run>, so it never collapses into the original job) and, unless --no-wait,',
    'shows a progress bar on stderr until the workers have run them all. Workers write only the differences from',
    'what is stored, in one transaction per note with a Provenance naming the pipeline version that ran.',
    '',
    '  --all            every DocumentReference on the FHIR server',
    '  --since DATE     notes created or changed since DATE (_lastUpdated=geDATE; e.g. 2026-11-01)',
    '  --document ID    this note (repeatable)',
    '  --fhir URL       FHIR server the notes are listed from (default FHIR_BASE_URL, else the local server\'s',
    '                   embedded store, http://127.0.0.1:$PORT/fhir/R4)',
    '  --no-wait        queue and exit',
    '  --timeout S      give up waiting after S seconds (default 3600); exit 1',
    '',
    'Prints a JSON summary on stdout: notes, queued, completed, failed, and per outcome (written, unchanged,',
    'skipped). Exit 1 when a job failed or the wait timed out. Needs workers running against the same Redis.',
    '',
    configurationHelp('reprocess'),
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        all: { type: 'boolean', default: false },
        since: { type: 'string' },
        document: { type: 'string', multiple: true },
        fhir: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '3600' },
      },
      allowPositionals: false,
    });
    const selectors = [values.all, values.since !== undefined, (values.document ?? []).length > 0].filter(Boolean).length;
    if (selectors !== 1) throw new UsageError('choose one of --all, --since DATE, --document ID');
    if (values.since !== undefined && !/^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(values.since)) {
      throw new UsageError('--since must be a FHIR date or dateTime, e.g. 2026-11-01');
    }
    const timeoutS = Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a positive number of seconds');
    const config = loadConfig(io.env);
    const baseUrl = values.fhir ?? configuredFhirBaseUrl(config);
    const gateway = await createFhirClient(config, { baseUrl });
    const notes = await selectNotes(gateway, { all: values.all, since: values.since, documents: values.document ?? [] });

    const redis = createRedis(config.redisUrl, 'producer');
    const producer = new AnalyzeNoteProducer(redis, namespacedPrefix(config.queuePrefix, config.queueNamespace ?? queueNamespace(baseUrl)));
    const run = `reprocess-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
    try {
      const jobIds: string[] = [];
      for (const note of notes) {
        jobIds.push(await producer.enqueue({ noteId: note.id, versionId: note.versionId, requestId: run }, { jobIdSuffix: run }));
      }
      const summary: Record<string, unknown> = { run, notes: notes.length, queued: jobIds.length };
      if (values['no-wait'] || jobIds.length === 0) {
        io.stdout.write(`${JSON.stringify(summary)}\n`);
        return 0;
      }
      const progress = await waitForJobs(producer, jobIds, timeoutS * 1000, io);
      io.stdout.write(`${JSON.stringify({ ...summary, ...progress })}\n`);
      return progress.failed > 0 || progress.timedOut ? 1 : 0;
    } finally {
      await producer.close();
      redis.disconnect();
    }
  },
};

/** A note to reprocess: id and current version. */
interface NoteToRun {
  readonly id: string;
  readonly versionId: string;
}

async function selectNotes(
  gateway: FhirGateway,
  selection: { readonly all: boolean; readonly since: string | undefined; readonly documents: readonly string[] }
): Promise<NoteToRun[]> {
  let found: Resource[];
  if (selection.documents.length > 0) {
    found = [];
    for (const id of selection.documents) {
      const read = await gateway.readNote(id);
      if (read.state !== 'found') throw new UsageError(`DocumentReference/${id} is ${read.state}`);
      found.push(read.note);
    }
  } else {
    found = await gateway.searchAll('DocumentReference', selection.since ? [['_lastUpdated', `ge${selection.since}`]] : []);
  }
  return (found as DocumentReference[]).flatMap((d) => (d.id && d.meta?.versionId ? [{ id: d.id, versionId: d.meta.versionId }] : []));
}

/** What the wait saw. */
interface Progress {
  completed: number;
  failed: number;
  written: number;
  unchanged: number;
  skipped: number;
  timedOut: boolean;
}

async function waitForJobs(producer: AnalyzeNoteProducer, jobIds: readonly string[], timeoutMs: number, io: CliIo): Promise<Progress> {
  const pending = new Set(jobIds);
  const progress: Progress = { completed: 0, failed: 0, written: 0, unchanged: 0, skipped: 0, timedOut: false };
  const bar = progressBar(io.stderr, jobIds.length);
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    for (const id of [...pending].slice(0, POLL_BATCH)) {
      const state = await producer.queue.getJobState(id);
      if (state === 'completed') {
        const job = await producer.queue.getJob(id);
        const result = job?.returnvalue as AnalyzeNoteResult | undefined;
        progress.completed++;
        if (result?.outcome) progress[result.outcome]++;
        pending.delete(id);
      } else if (state === 'failed' || state === 'unknown') {
        progress.failed++;
        pending.delete(id);
      }
    }
    bar(progress.completed + progress.failed, progress.failed);
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      progress.timedOut = true;
      io.stderr.write(`\ntimed out with ${pending.size} job(s) not finished (are workers running?)\n`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return progress;
}

/** A progress bar on a terminal; on a pipe, a line per tenth (so CI logs stay short). */
function progressBar(out: NodeJS.WritableStream, total: number): (done: number, failed: number) => void {
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  const width = 30;
  let lastTenth = -1;
  return (done, failed) => {
    const fraction = total === 0 ? 1 : done / total;
    const text = `${done}/${total} notes${failed > 0 ? `, ${failed} failed` : ''}`;
    if (tty) {
      const filled = Math.round(fraction * width);
      out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      out.write(`reprocess: ${Math.round(fraction * 100)}% (${text})\n`);
    }
  };
}
