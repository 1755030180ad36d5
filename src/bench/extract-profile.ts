/**
 * `bench --stage extract --profile` and `--verify-identical`. The profile wraps the pipeline so that each note's run
 * reports its stages (the pipeline's stage runner), the NER model's parts (encode, forward, decode) and how many of
 * the model's sentences it ran on; the rest of `extract` (mapping, write-back plan, Bundle) is the note's time minus
 * the pipeline's. The identity check runs each note through two pipelines that differ only in sentence skipping and
 * compares the `NlpResult` and the `extract` Bundle as JSON, byte for byte. Ids, counts and durations only.
 */
import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, NerPart, NerPartRunner, NlpPipeline, NlpResult, PipelineStage, StageRunner } from '../nlp/types.js';

/** Milliseconds per note of one part of the run. */
export type MsPerNote = Readonly<Record<string, number>>;

/** Where the time of an average `extract` note went. */
export interface ExtractProfile {
  /** Notes timed (the denominator of every figure). */
  readonly notes: number;
  /** Wall time of `extract` per note (pipeline, mapping, plan). */
  readonly wallMsPerNote: number;
  /** CPU time of the process (all threads: ONNX Runtime's too) per note, user + system. */
  readonly cpuMsPerNote: number;
  /** The pipeline's stages, per note (`dictionary`, `model`, `sections`, `matching`, …). */
  readonly stages: MsPerNote;
  /** The NER model's parts inside `model`, per note. */
  readonly modelParts: MsPerNote;
  /** `extract` outside the pipeline (mapping, write-back plan, Bundle), per note. */
  readonly restMsPerNote: number;
  /** The model's sentences over all notes, and how many it ran on (0 and 0 without a model). */
  readonly modelSentences: number;
  readonly modelSentencesRun: number;
  /** Share of the model's sentences skipped (0..1). */
  readonly skippedShare: number;
}

/** Collects a profile while the wrapped pipeline runs. */
export interface ExtractProbe {
  /** The pipeline to run notes through (the given one, with options that time it). */
  readonly pipeline: NlpPipeline;
  /** Starts the timed part (after warm-up): counters are reset and the CPU clock read. */
  start(): void;
  /** Records one note's whole `extract` time. */
  noted(ms: number): void;
  /** Builds the profile. */
  finish(): ExtractProfile;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Times a function that may return a promise; calls `add` with its milliseconds when it is done. */
function timed<T>(fn: () => T, add: (ms: number) => void): T {
  const t0 = performance.now();
  const result = fn();
  if (result instanceof Promise) {
    return result.finally(() => add(performance.now() - t0)) as T;
  }
  add(performance.now() - t0);
  return result;
}

/**
 * Wraps a pipeline to profile it.
 * @param inner - the loaded pipeline.
 * @returns the probe.
 */
export function startExtractProbe(inner: NlpPipeline): ExtractProbe {
  let stages = new Map<string, number>();
  let parts = new Map<string, number>();
  let sentences = 0;
  let run = 0;
  let notes = 0;
  let wall = 0;
  let analyzeMs = 0;
  let cpu = process.cpuUsage();
  const add = (map: Map<string, number>, key: string) => (ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const stage: StageRunner = <T>(name: PipelineStage, fn: () => T): T => timed(fn, add(stages, name));
  const part: NerPartRunner = <T>(name: NerPart, fn: () => T): T => timed(fn, add(parts, name));
  const options: AnalyzeOptions = {
    stage,
    modelPart: part,
    onModelSentences: (kept, total) => {
      run += kept;
      sentences += total;
    },
  };
  const pipeline: NlpPipeline = {
    info: inner.info,
    analyze: (text: string, given?: AnalyzeOptions): Promise<NlpResult> =>
      timed(() => inner.analyze(text, { ...given, ...options }), (ms) => (analyzeMs += ms)),
  };
  return {
    pipeline,
    start() {
      stages = new Map();
      parts = new Map();
      sentences = 0;
      run = 0;
      notes = 0;
      wall = 0;
      analyzeMs = 0;
      cpu = process.cpuUsage();
    },
    noted(ms: number) {
      notes++;
      wall += ms;
    },
    finish(): ExtractProfile {
      const used = process.cpuUsage(cpu);
      const n = Math.max(notes, 1);
      const perNote = (map: Map<string, number>): MsPerNote => Object.fromEntries([...map].map(([k, v]) => [k, round2(v / n)]));
      return {
        notes,
        wallMsPerNote: round2(wall / n),
        cpuMsPerNote: round2((used.user + used.system) / 1000 / n),
        stages: perNote(stages),
        modelParts: perNote(parts),
        restMsPerNote: round2((wall - analyzeMs) / n),
        modelSentences: sentences,
        modelSentencesRun: run,
        skippedShare: sentences === 0 ? 0 : Math.round(((sentences - run) / sentences) * 1000) / 1000,
      };
    },
  };
}

/** Rows of the profile, in the order a note goes through the pipeline. */
const STAGE_ORDER = ['dictionary', 'model', 'sections', 'matching', 'terminology'];
const PART_ORDER = ['encode', 'forward', 'decode'];

/**
 * Formats a profile for humans.
 * @param p - the profile.
 * @returns the lines (indented to follow a bench report).
 */
export function formatExtractProfile(p: ExtractProfile): string {
  const ms = (n: number): string => `${n.toFixed(2).padStart(9)} ms`;
  const ordered = (rows: MsPerNote, order: readonly string[]): [string, number][] =>
    Object.entries(rows).sort(([a], [b]) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  return [
    `  profile      per note, over ${p.notes} notes (one after another unless --concurrency)`,
    `    ${'extract (wall)'.padEnd(26)}${ms(p.wallMsPerNote)}`,
    `    ${'process CPU (all threads)'.padEnd(26)}${ms(p.cpuMsPerNote)}`,
    ...ordered(p.stages, STAGE_ORDER).flatMap(([stage, v]) => [
      `    ${`  stage ${stage}`.padEnd(26)}${ms(v)}`,
      ...(stage === 'model' ? ordered(p.modelParts, PART_ORDER).map(([part, w]) => `    ${`    ${part}`.padEnd(26)}${ms(w)}`) : []),
    ]),
    `    ${'  mapping + plan (rest)'.padEnd(26)}${ms(p.restMsPerNote)}`,
    ...(p.modelSentences > 0
      ? [`    model sentences run       ${p.modelSentencesRun} of ${p.modelSentences} (${(p.skippedShare * 100).toFixed(1)}% skipped)`]
      : ['    no NER model: rules and dictionary only']),
  ].join('\n');
}

function rank(order: readonly string[], value: string): number {
  const i = order.indexOf(value);
  return i < 0 ? order.length : i;
}

/** The result of `--verify-identical`. */
export interface IdentityReport {
  readonly notes: number;
  readonly identical: number;
  readonly different: number;
  /** Positions (0-based, in the order the notes were read) of the notes that differ; at most 20. */
  readonly differentNotes: readonly number[];
}

/**
 * Runs each note through both variants and compares their output as JSON.
 * @param count - the number of notes.
 * @param outputOf - the output of note `i` under a variant (`skip` true: sentence skipping on), as a string.
 * @returns identical and different counts.
 */
export async function verifyIdentical(count: number, outputOf: (i: number, skip: boolean) => Promise<string>): Promise<IdentityReport> {
  let identical = 0;
  const different: number[] = [];
  for (let i = 0; i < count; i++) {
    if ((await outputOf(i, true)) === (await outputOf(i, false))) identical++;
    else different.push(i);
  }
  return { notes: count, identical, different: different.length, differentNotes: different.slice(0, 20) };
}
