/**
 * `bench --stage server --profile` and `--rate N`: where the server path spends its time per note, read after the
 * run from what the server measures anyway (the process's prom-client registry: pipeline stages, FHIR requests by
 * interaction, the embedded store's request and validation times) plus what only the bench sees (the POST that
 * creates each note, each job's wait in the queue, the process's CPU time). Ids, counts and durations only.
 */
import { performance } from 'node:perf_hooks';
import type { Job } from 'bullmq';
import type { Registry } from 'prom-client';
import type { ServerHandle } from '../runtime.js';

/** A mean over notes: how often something happened per note, and the time it took per note. */
export interface PerNote {
  /** Occurrences per note (requests, stage runs, resources validated). */
  readonly count: number;
  /** Milliseconds per note, all occurrences together. */
  readonly ms: number;
}

/** Where the time of an average note went. */
export interface ServerProfile {
  /** Notes whose jobs completed (the denominator of every figure). */
  readonly notes: number;
  /** CPU time of the whole process (HTTP server, store, workers, bench client) per note, user + system. */
  readonly cpuMsPerNote: number;
  /** The bench's POST that creates the note in the embedded store (the store queues its job before answering). */
  readonly create: PerNote;
  /** From the job being added to a worker taking it. */
  readonly queueWait: PerNote;
  /** From a worker taking the job to the job completed (the stages below, the AuditEvent, lease and Redis). */
  readonly job: PerNote;
  /** `chartmine_pipeline_stage_seconds` by stage (`plan` runs inside `write`). */
  readonly stages: Readonly<Record<string, PerNote>>;
  /** `chartmine_fhir_interaction_seconds`: the worker's requests to the FHIR server, as the client times them. */
  readonly fhirRequests: Readonly<Record<string, PerNote>>;
  /** `chartmine_store_request_seconds`: the same requests (and the bench's POSTs) inside the embedded store. */
  readonly storeRequests: Readonly<Record<string, PerNote>>;
  /** `chartmine_store_validation_seconds`: resources validated by the store, and the time it took. */
  readonly storeValidation: PerNote;
}

/** Collects, during a server bench run, what the registry does not hold. */
export interface ServerProbe {
  /** Records one note's create request (the bench's POST), in milliseconds. */
  created(ms: number): void;
  /** Stops recording and builds the profile. */
  finish(): Promise<ServerProfile>;
}

/**
 * Starts recording a run on a started server (before the first note is offered).
 * @param handle - the server, with its in-process worker.
 * @returns the probe.
 */
export function startServerProbe(handle: Pick<ServerHandle, 'worker' | 'metrics'>): ServerProbe {
  const cpu = process.cpuUsage();
  const creates: number[] = [];
  const waits: number[] = [];
  const runs: number[] = [];
  const onCompleted = (job: Job): void => {
    if (job.processedOn !== undefined) waits.push(Math.max(0, job.processedOn - job.timestamp));
    if (job.processedOn !== undefined && job.finishedOn !== undefined) runs.push(Math.max(0, job.finishedOn - job.processedOn));
  };
  handle.worker?.worker.on('completed', onCompleted);
  return {
    created: (ms) => void creates.push(ms),
    async finish() {
      handle.worker?.worker.off('completed', onCompleted);
      const used = process.cpuUsage(cpu);
      const notes = Math.max(1, runs.length);
      const registry = handle.metrics.registry;
      const validation = (await histogramTotals(registry, 'chartmine_store_validation_seconds')).get('') ?? { count: 0, seconds: 0 };
      return {
        notes: runs.length,
        cpuMsPerNote: round((used.user + used.system) / 1000 / notes),
        create: perNote(creates, notes),
        queueWait: perNote(waits, notes),
        job: perNote(runs, notes),
        stages: perLabel(await histogramTotals(registry, 'chartmine_pipeline_stage_seconds', 'stage'), notes),
        fhirRequests: perLabel(await histogramTotals(registry, 'chartmine_fhir_interaction_seconds', 'interaction'), notes),
        storeRequests: perLabel(await histogramTotals(registry, 'chartmine_store_request_seconds', 'interaction'), notes),
        storeValidation: { count: round(validation.count / notes), ms: round((validation.seconds * 1000) / notes) },
      };
    },
  };
}

/**
 * Offers notes to `post`: as fast as `concurrency` lanes allow, or at `rate` notes per second (each note on its own
 * schedule, however long earlier ones take: an open load, as notifications arrive).
 * @param count - number of notes.
 * @param post - posts note `i`; resolves when the server answered.
 * @param options - lanes, or the rate.
 */
export async function offerNotes(
  count: number,
  post: (index: number) => Promise<void>,
  options: { readonly concurrency: number; readonly rate?: number }
): Promise<void> {
  if (options.rate !== undefined) {
    const intervalMs = 1000 / options.rate;
    const started = performance.now();
    const posts: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      posts.push(post(i));
    }
    await Promise.all(posts);
    return;
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await post(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, count)) }, lane));
}

/** Rows of the profile table, in the order a note goes through the server. */
const STAGE_ORDER = ['read', 'dictionary', 'model', 'sections', 'matching', 'terminology', 'mapping', 'write', 'plan'];

/**
 * Formats a profile for humans: one line per part, milliseconds per note and occurrences per note.
 * @param p - the profile.
 * @returns the lines (indented to follow a bench report).
 */
export function formatServerProfile(p: ServerProfile): string {
  const line = (name: string, v: PerNote, unit = 'per note'): string =>
    `    ${name.padEnd(26)}${v.ms.toFixed(2).padStart(9)} ms${v.count > 0 ? `  (${v.count.toFixed(2)} ${unit}, ${(v.ms / Math.max(v.count, 1e-9)).toFixed(2)} ms each)` : ''}`;
  const sorted = (rows: Readonly<Record<string, PerNote>>, order?: readonly string[]): [string, PerNote][] =>
    Object.entries(rows).sort(([a, x], [b, y]) =>
      order ? indexOr(order, a) - indexOr(order, b) || a.localeCompare(b) : y.ms - x.ms || a.localeCompare(b)
    );
  return [
    `  profile      per note, mean over ${p.notes} completed jobs (wall-clock ms; stages overlap when WORKERS > 1)`,
    `    ${'CPU, whole process'.padEnd(26)}${p.cpuMsPerNote.toFixed(2).padStart(9)} ms  (user + system)`,
    line('HTTP create (bench POST)', p.create),
    line('wait in queue', p.queueWait),
    line('job (taken to completed)', p.job),
    ...sorted(p.stages, STAGE_ORDER).map(([stage, v]) => line(`  stage ${stage}${stage === 'plan' ? ' (in write)' : ''}`, v, 'runs')),
    '    FHIR requests of the worker (client side):',
    ...sorted(p.fhirRequests).map(([kind, v]) => line(`  ${kind}`, v, 'requests')),
    '    inside the embedded store (server side):',
    ...sorted(p.storeRequests).map(([kind, v]) => line(`  ${kind}`, v, 'requests')),
    line('  validation', p.storeValidation, 'resources'),
  ].join('\n');
}

function indexOr(order: readonly string[], value: string): number {
  const i = order.indexOf(value);
  return i < 0 ? order.length : i;
}

/** Sum and count of a histogram, by the value of one label (`''` when none is named). */
async function histogramTotals(registry: Registry, name: string, label?: string): Promise<Map<string, { count: number; seconds: number }>> {
  const out = new Map<string, { count: number; seconds: number }>();
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  for (const v of metric?.values ?? []) {
    const suffix = (v as { metricName?: string }).metricName?.slice(name.length);
    if (suffix !== '_sum' && suffix !== '_count') continue;
    const key = label ? String(v.labels[label] ?? '') : '';
    const totals = out.get(key) ?? { count: 0, seconds: 0 };
    if (suffix === '_sum') totals.seconds += v.value;
    else totals.count += v.value;
    out.set(key, totals);
  }
  return out;
}

function perLabel(totals: ReadonlyMap<string, { count: number; seconds: number }>, notes: number): Record<string, PerNote> {
  const out: Record<string, PerNote> = {};
  for (const [key, t] of totals) {
    if (t.count > 0) out[key] = { count: round(t.count / notes), ms: round((t.seconds * 1000) / notes) };
  }
  return out;
}

function perNote(values: readonly number[], notes: number): PerNote {
  return { count: round(values.length / notes), ms: round(values.reduce((a, b) => a + b, 0) / notes) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
