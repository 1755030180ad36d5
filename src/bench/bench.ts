/**
 * Benchmarks that print numbers (never timed tests): the full server path (HTTP → BullMQ → worker → embedded FHIR
 * store, on real Redis), `extract` (pipeline + mapping in-process) and the rule stages alone.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Job } from 'bullmq';
import type { DocumentReference } from '@medplum/fhirtypes';
import { loadConfig, type Config } from '../config/config.js';
import { DEFAULT_MAPPING_OPTIONS } from '../fhir/finding-types.js';
import { extractNote, toTextNote } from '../jobs/extract-note.js';
import type { NerModel } from '../nlp/ner/types.js';
import type { NlpPipeline, NlpResult } from '../nlp/types.js';
import { createLogger } from '../observability/logger.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { analyzeNoteJobId } from '../queue/analyze-note.queue.js';
import type { PipelineEdges } from '../pipeline-loader.js';
import { startServer } from '../runtime.js';
import { benchRules } from '../nlp/bench-rules.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { join } from 'node:path';
import { CHARTMINE_VERSION } from '../version.js';
import { formatServerProfile, offerNotes, startServerProbe, type ServerProfile } from './server-profile.js';
import { formatExtractProfile, startExtractProbe, verifyIdentical, type ExtractProfile, type IdentityReport } from './extract-profile.js';

/** What a benchmark prints. */
export interface BenchReport {
  readonly stage: string;
  readonly notes: number;
  readonly averageWords: number;
  readonly seconds: number;
  readonly notesPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly peakRssMb: number;
  /** Process CPU time (user + system, every thread: inference threads included) per note. */
  readonly cpuMsPerNote?: number;
  readonly failed?: number;
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * This report against the model alone measured in the same run (`--stage all`): its CPU per note and its notes/s
   * divided by the model-alone stage's.
   */
  readonly relativeToModel?: { readonly cpu: number; readonly notesPerSecond: number; readonly modelCpuMsPerNote: number };
  /** `--stage server --profile`: where the time of an average note went. */
  readonly serverProfile?: ServerProfile;
  /** `--stage extract --profile`: the same for `extract` (stages, model parts, skipped sentences, CPU). */
  readonly extractProfile?: ExtractProfile;
  /** `--stage extract --verify-identical`: output with and without sentence skipping compared. */
  readonly identity?: IdentityReport;
}

/** `--stage server` options beyond the lanes. */
export interface ServerBenchOptions {
  /** Offer this many notes per second instead of as fast as the lanes allow. */
  readonly rate?: number;
  /** Add the per-note profile (`server-profile.ts`). */
  readonly profile?: boolean;
}

/** Samples RSS every 50 ms until stopped; returns the peak in MB. */
function rssSampler(): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  timer.unref();
  return () => {
    clearInterval(timer);
    return Math.round((Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024) * 10) / 10;
  };
}

/** The common part of a report from a start time and per-note latencies. */
function timedReport(
  stage: string,
  texts: readonly string[],
  started: number,
  latencies: number[],
  stopRss: () => number,
  cpuStart: NodeJS.CpuUsage
): Omit<BenchReport, 'settings'> {
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  latencies.sort((a, b) => a - b);
  return {
    stage,
    notes: texts.length,
    averageWords: words(texts),
    seconds: Math.round(seconds * 1000) / 1000,
    notesPerSecond: Math.round((texts.length / seconds) * 10) / 10,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    peakRssMb: stopRss(),
    cpuMsPerNote: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, texts.length)) * 10) / 10,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

function words(texts: readonly string[]): number {
  return Math.round(texts.reduce((n, t) => n + t.split(/\s+/).filter(Boolean).length, 0) / Math.max(1, texts.length));
}

/**
 * Pushes notes through the real server path: each note is POSTed to the embedded store over HTTP, queued in
 * BullMQ on Redis, analysed by the worker and written back. Latency: from the POST until its job completed.
 * @param texts - the notes.
 * @param env - environment overrides (REDIS_URL, WORKERS…); a unique QUEUE_PREFIX is used and removed afterwards.
 * @param loadPipeline - the pipeline loader.
 * @param concurrency - notes POSTed at once.
 * @returns the report.
 */
export async function benchServer(
  texts: readonly string[],
  env: Record<string, string | undefined>,
  loadPipeline: (config: Config, edges: PipelineEdges) => Promise<NlpPipeline>,
  concurrency = 16,
  options: ServerBenchOptions = {}
): Promise<BenchReport> {
  // A throwaway embedded store (STORE=memory): a benchmark never writes into the user's DATA_DIR.
  const config = loadConfig({ ...env, PORT: '0', QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'silent', STORE: 'memory' });
  const handle = await startServer(config, createLogger('silent'), (edges) => loadPipeline(config, edges));
  const stopRss = rssSampler();
  const posted = new Map<string, number>();
  const latencies: number[] = [];
  let failed = 0;
  let expected = texts.length;
  const done = new Promise<void>((resolve) => {
    const finish = (): void => {
      if (--expected === 0) resolve();
    };
    handle.worker?.worker.on('completed', (job: Job) => {
      const start = posted.get(job.id ?? '');
      if (start !== undefined) latencies.push(performance.now() - start);
      finish();
    });
    handle.worker?.worker.on('failed', () => {
      failed++;
      finish();
    });
  });
  try {
    const probe = startServerProbe(handle);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const post = async (index: number): Promise<void> => {
      const t0 = performance.now();
      const note = { ...toTextNote(texts[index], 'Patient/bench'), id: undefined, meta: undefined };
      const response = await fetch(`${handle.url}/fhir/R4/DocumentReference`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify(note),
      });
      const created = (await response.json()) as DocumentReference;
      probe.created(performance.now() - t0);
      posted.set(analyzeNoteJobId({ noteId: created.id ?? '', versionId: created.meta?.versionId ?? '' }), t0);
    };
    await offerNotes(texts.length, post, { concurrency, rate: options.rate });
    await done;
    const serverProfile = await probe.finish();
    return {
      ...timedReport('server', texts, started, latencies, stopRss, cpuStart),
      failed,
      settings: { workers: config.workers, concurrency: options.rate ? 'open' : concurrency, ...(options.rate ? { rateNotesPerSecond: options.rate } : {}), fhir: 'embedded', redis: config.redisUrl, nerModel: config.ner.model ?? 'shipped default', pipelineVersion: handle.worker?.software.pipelineVersion },
      ...(options.profile ? { serverProfile } : {}),
    };
  } finally {
    stopRss();
    await handle.producer.queue.obliterate({ force: true });
    await handle.close();
  }
}

/**
 * Runs `extract` in-process on each note (pipeline + mapping + write-back plan), `concurrency` notes at a time (as
 * WORKERS jobs share one process).
 * @param texts - the notes.
 * @param pipeline - the loaded pipeline.
 * @param concurrency - notes in flight at once (default 1: one after another).
 * @returns the report.
 */
export async function benchInProcess(texts: readonly string[], pipeline: NlpPipeline, concurrency = 1, options: { readonly profile?: boolean } = {}): Promise<BenchReport> {
  const software = buildSoftwareInfo(CHARTMINE_VERSION, pipeline.info);
  const probe = options.profile ? startExtractProbe(pipeline) : undefined;
  const run = probe?.pipeline ?? pipeline;
  const stopRss = rssSampler();
  const latencies: number[] = [];
  const notes = texts.map((t) => toTextNote(t));
  // Warm-up: JIT and lazily built structures should not count against the first notes.
  for (const note of notes.slice(0, 3)) await extractNote(note, extractDeps(run, software));
  probe?.start();
  const cpu = process.cpuUsage();
  const cpuStart = cpu;
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < notes.length) {
      const note = notes[next++];
      const t0 = performance.now();
      await extractNote(note, extractDeps(run, software));
      const ms = performance.now() - t0;
      latencies.push(ms);
      probe?.noted(ms);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, notes.length)) }, lane));
  const used = process.cpuUsage(cpu);
  return {
    ...timedReport('extract', texts, started, latencies, stopRss, cpuStart),
    // The one pipeline version (as Provenance, Device and `extract` name it), not the rule pipeline's own.
    settings: {
      pipeline: pipeline.info.name,
      pipelineVersion: software.pipelineVersion,
      concurrency,
      cpuMsPerNote: Math.round(((used.user + used.system) / 1000 / Math.max(1, notes.length)) * 100) / 100,
    },
    ...(probe ? { extractProfile: probe.finish() } : {}),
  };
}

/**
 * `--verify-identical`: each note through `extract` with sentence skipping and without, compared as JSON (the
 * pipeline's `NlpResult` and the Bundle `extract` prints), byte for byte.
 * @param texts - the notes.
 * @param skipping - the pipeline with sentence skipping (the default).
 * @param full - the same pipeline with `nerSkipSentences: false` (the model reads every sentence).
 * @returns a report whose `identity` holds the counts.
 */
export async function benchVerifyIdentical(texts: readonly string[], skipping: NlpPipeline, full: NlpPipeline): Promise<BenchReport> {
  const software = buildSoftwareInfo(CHARTMINE_VERSION, skipping.info);
  const stopRss = rssSampler();
  const notes = texts.map((t) => toTextNote(t));
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const outputOf = async (i: number, skip: boolean): Promise<string> => {
    const inner = skip ? skipping : full;
    let result: NlpResult | undefined;
    const capture: NlpPipeline = { info: inner.info, analyze: async (text, o) => (result = await inner.analyze(text, o)) };
    const bundle = await extractNote(notes[i], extractDeps(capture, software));
    return `${JSON.stringify(result)}\n${JSON.stringify(bundle)}`;
  };
  const identity = await verifyIdentical(notes.length, outputOf);
  return {
    ...timedReport('extract', texts, started, [], stopRss, cpuStart),
    settings: { pipeline: skipping.info.name, pipelineVersion: software.pipelineVersion, verify: 'skipping vs every sentence' },
    identity,
  };
}

/**
 * The NER model alone, the reference the pipeline's and the server's costs are stated against: every sentence of
 * each note (split by the model's own fallback splitter: no rules, no sentence skipping), one note after another,
 * with the configured model, batch size and threads. Three notes warm it up first; CPU is the process's (every
 * thread, inference threads included) over the timed notes.
 * @param texts - the notes.
 * @param model - the loaded model.
 * @returns the report (`stage: 'model'`).
 */
export async function benchModelAlone(texts: readonly string[], model: NerModel): Promise<BenchReport> {
  const stopRss = rssSampler();
  for (const text of texts.slice(0, 3)) await model.recognize(text);
  const latencies: number[] = [];
  let spans = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (const text of texts) {
    const t0 = performance.now();
    spans += (await model.recognize(text)).length;
    latencies.push(performance.now() - t0);
  }
  return {
    ...timedReport('model', texts, started, latencies, stopRss, cpuStart),
    settings: { model: model.info.name, modelVersion: model.info.version, batchSize: model.batchSize ?? 1, spans },
  };
}

/**
 * States each report against the model-alone report of the same run (CPU per note and notes/s as ratios), so that
 * runs on machines or days of different speed compare.
 * @param reports - the run's reports, one of them `stage: 'model'`.
 * @returns the reports, each but the model's with `relativeToModel` (unchanged when there is no model report).
 */
export function withModelRatios(reports: readonly BenchReport[]): BenchReport[] {
  const model = reports.find((r) => r.stage === 'model');
  const modelCpuMsPerNote = model?.cpuMsPerNote;
  if (!model || !modelCpuMsPerNote) return [...reports];
  const round = (x: number): number => Math.round(x * 100) / 100;
  return reports.map((r) =>
    r === model || r.cpuMsPerNote === undefined
      ? r
      : { ...r, relativeToModel: { cpu: round(r.cpuMsPerNote / modelCpuMsPerNote), notesPerSecond: round(r.notesPerSecond / model.notesPerSecond), modelCpuMsPerNote } }
  );
}

/**
 * The rule stages alone (`benchRules` over 3 timed passes) with the shipped terminology index, on one core.
 * @param texts - the notes.
 * @param modelsDir - where the terminology index is.
 * @returns the report (latency percentiles are not measured per note here: 0).
 */
export async function benchRulesStage(texts: readonly string[], modelsDir: string): Promise<BenchReport> {
  const terminology = await loadTerminologyIndex(join(modelsDir, 'terminology'));
  const stopRss = rssSampler();
  const result = benchRules({ texts, terminology, iterations: 3 });
  return {
    stage: 'rules',
    notes: texts.length,
    averageWords: words(texts),
    seconds: Math.round(result.elapsedMs) / 1000,
    notesPerSecond: result.notesPerSecond,
    p50Ms: 0,
    p95Ms: 0,
    peakRssMb: stopRss(),
    // One thread: the process's CPU over the timed passes, per note and pass.
    ...(Number.isFinite(result.cpuNotesPerSecond) && result.cpuNotesPerSecond > 0 ? { cpuMsPerNote: Math.round((10_000 / result.cpuNotesPerSecond)) / 10 } : {}),
    settings: {
      iterations: result.iterations,
      averageChars: result.averageChars,
      rulesWithoutDictionaryNotesPerSecond: result.rulesOnlyNotesPerSecond,
      mentionsPerPass: result.mentionsPerPass,
    },
  };
}

function extractDeps(pipeline: NlpPipeline, software: ReturnType<typeof buildSoftwareInfo>) {
  return { nlp: pipeline, software, mapping: DEFAULT_MAPPING_OPTIONS, maxDocumentBytes: 10 * 1024 * 1024, recorded: '2026-01-01T00:00:00Z' };
}

/**
 * Formats a report for humans.
 * @param r - the report.
 * @returns the text.
 */
export function formatBenchReport(r: BenchReport): string {
  return [
    `stage ${r.stage}: ${r.notes} notes, ~${r.averageWords} words each, ${r.seconds} s`,
    `  throughput   ${r.notesPerSecond} notes/s`,
    ...(r.stage === 'rules' || r.identity ? [] : [`  latency      p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms${r.stage === 'server' ? ' (POST to job completed)' : ' (per note)'}`]),
    ...(r.cpuMsPerNote !== undefined ? [`  CPU          ${r.cpuMsPerNote} ms/note (process: every thread, user + system)`] : []),
    ...(r.relativeToModel
      ? [`  × model alone CPU ${r.relativeToModel.cpu}×, notes/s ${r.relativeToModel.notesPerSecond}× (the model alone in this run: ${r.relativeToModel.modelCpuMsPerNote} ms CPU/note)`]
      : []),
    `  peak RSS     ${r.peakRssMb} MB (whole process${r.stage === 'server' ? ': HTTP server, embedded store and workers' : ''})`,
    ...(r.failed ? [`  failed jobs  ${r.failed}`] : []),
    `  settings     ${JSON.stringify(r.settings)}`,
    ...(r.serverProfile ? [formatServerProfile(r.serverProfile)] : []),
    ...(r.extractProfile ? [formatExtractProfile(r.extractProfile)] : []),
    ...(r.identity
      ? [
          `  identical    ${r.identity.identical} of ${r.identity.notes} notes (skipping vs every sentence; NlpResult and Bundle JSON), different ${r.identity.different}${r.identity.different > 0 ? ` (note positions ${r.identity.differentNotes.join(', ')})` : ''}`,
        ]
      : []),
  ].join('\n');
}
