/**
 * Throughput benchmark of the rule stages (`npm run bench -- --stage rules`). A measuring tool, not part of the
 * pipeline: nothing in the pipeline imports it, and it is the only module in `src/nlp` that reads a clock (which
 * callers may inject).
 */
import { performance } from 'node:perf_hooks';
import type { TerminologyIndex } from '../terminology/types.js';
import { analyzeWithRules } from './analyze-rules.js';
import { readRuleLexicons, type RuleLexicons } from './lexicons/rule-lexicons.js';
import { buildDefaultTestTerminology } from './testing/test-terminology.js';

/** What to benchmark. */
export interface BenchRulesOptions {
  /** The notes to analyse (e.g. every MTSamples transcription). */
  readonly texts: readonly string[];
  /** How many timed passes over `texts` (default 3); one untimed warm-up pass over up to 200 notes runs first. */
  readonly iterations?: number;
  /** Dictionary matcher; defaults to the small test index, so the number measures the rule stages. */
  readonly terminology?: TerminologyIndex;
  readonly lexicons?: RuleLexicons;
  /** Milliseconds wall clock (default `performance.now`). */
  readonly now?: () => number;
  /** Milliseconds of CPU time used by this process (default from `process.cpuUsage`). */
  readonly cpuNow?: () => number;
}

/** Benchmark results. Rates are per second on the calling thread (one core). */
export interface BenchRulesResult {
  readonly notes: number;
  readonly iterations: number;
  readonly averageChars: number;
  /** Wall time of the timed passes of the whole rule analysis, terminology matching included. */
  readonly elapsedMs: number;
  /** Notes per second of the whole rule analysis, terminology matching included (wall clock). */
  readonly notesPerSecond: number;
  /**
   * The same per second of CPU time of this process: the steadier figure on a shared machine, where wall time
   * includes waiting for the core.
   */
  readonly cpuNotesPerSecond: number;
  /** Notes per second of the rule stages alone: the time `terminology.match` takes on the same texts is subtracted. */
  readonly rulesOnlyNotesPerSecond: number;
  readonly charsPerSecond: number;
  /** Mentions found per pass (a sanity check that work was done). */
  readonly mentionsPerPass: number;
}

/**
 * Runs the benchmark.
 * @param options - texts, iterations and optional dependencies.
 * @returns throughput figures.
 */
export function benchRules(options: BenchRulesOptions): BenchRulesResult {
  const { texts } = options;
  const iterations = Math.max(1, options.iterations ?? 3);
  const now = options.now ?? (() => performance.now());
  const cpuNow =
    options.cpuNow ??
    (() => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    });
  const terminology = options.terminology ?? buildDefaultTestTerminology();
  const deps = { terminology, lexicons: options.lexicons ?? readRuleLexicons() };
  for (const text of texts.slice(0, 200)) analyzeWithRules(text, deps);

  let mentions = 0;
  const start = now();
  const cpuStart = cpuNow();
  for (let it = 0; it < iterations; it++) {
    for (const text of texts) mentions += analyzeWithRules(text, deps).mentions.length;
  }
  const elapsedMs = now() - start;
  const cpuMs = cpuNow() - cpuStart;

  const matchStart = now();
  for (let it = 0; it < iterations; it++) for (const text of texts) terminology.match(text);
  const matchMs = now() - matchStart;

  const notes = texts.length * iterations;
  const totalChars = texts.reduce((sum, t) => sum + t.length, 0) * iterations;
  const rate = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : Number.POSITIVE_INFINITY);
  return {
    notes: texts.length,
    iterations,
    averageChars: texts.length > 0 ? Math.round(totalChars / notes) : 0,
    elapsedMs: Math.round(elapsedMs),
    notesPerSecond: Math.round(rate(notes, elapsedMs)),
    cpuNotesPerSecond: Math.round(rate(notes, cpuMs)),
    rulesOnlyNotesPerSecond: Math.round(rate(notes, Math.max(1, elapsedMs - matchMs))),
    charsPerSecond: Math.round(rate(totalChars, elapsedMs)),
    mentionsPerPass: Math.round(mentions / iterations),
  };
}
