/**
 * Measures an index: load time, heap, code and term look-up latency, match throughput. Used by
 * `chartmine terminology info` and the README numbers. Not part of the pure core (it reads the clock).
 */
import { performance } from 'node:perf_hooks';
import { collectGarbage } from '../observability/collect-garbage.js';
import type { IndexStats } from './dictionary-index.js';
import { loadTerminologyIndex } from './load-index.js';

/** A synthetic note (no patient data) used to time matching. */
export const BENCH_NOTE = [
  'Chief complaint: chest pain and shortness of breath.',
  'HPI: 67 yo with HTN, T2DM, CAD s/p MI, CHF (EF 35%), COPD and afib on warfarin presents with 2 days of',
  'substernal chest pain radiating to the left arm, diaphoresis, nausea. Denies fever, cough or syncope.',
  'PMH: hypertension, type 2 diabetes mellitus with hyperglycemia, hyperlipidemia, chronic kidney disease stage 3,',
  'GERD, osteoarthritis of right knee, depression.',
  'Medications: metformin 500 mg PO BID; lisinopril 10 mg daily; Lipitor 40 mg qhs; Lasix 20 mg daily;',
  'Coumadin 5 mg; albuterol inhaler PRN; aspirin 81 mg.',
  'Vitals: BP 151/93, HR 77, RR 18, Temp 98.6 F, SpO2 95% on RA, Wt 92 kg.',
  'Labs: HbA1c 8.2%, creatinine 1.4, potassium 4.1, LDL 131, INR 2.4.',
  'Assessment: acute coronary syndrome ruled out; atypical chest pain. Continue home meds.',
].join('\n');

/** What {@link measureIndex} reports. */
export interface IndexMeasurement {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly stats: IndexStats;
  readonly loadRuns: number;
  /** Median wall time of a full load (read, gunzip, parse), in ms. */
  readonly loadMs: number;
  /** Heap one loaded index keeps, in MiB (heap in use after a full GC, less that before loading). */
  readonly heapMiB: number;
  readonly rssMiB: number;
  /** Mean time per `lookup(system, code)`, in µs. */
  readonly lookupMicros: number;
  /** Mean time per `lookupTerm(phrase)`, in µs. */
  readonly lookupTermMicros: number;
  /** Mean `match` time per character of the bench note, in µs. */
  readonly matchMicrosPerChar: number;
}

/**
 * Loads an index several times and times its operations.
 * @param dir - the terminology directory.
 * @param runs - how many loads to time.
 * @returns the measurement.
 */
export async function measureIndex(dir: string, runs = 5): Promise<IndexMeasurement> {
  // A full GC before each reading, so the heap figure is what the index keeps, not the garbage its loading left.
  await collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let index = await loadTerminologyIndex(dir);
  await collectGarbage();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    index = await loadTerminologyIndex(dir);
    times.push(performance.now() - t0);
  }
  await collectGarbage();
  times.sort((a, b) => a - b);
  const ids = [...index.data.conceptIds.keys()];
  const probes = Array.from({ length: 20_000 }, (_, i) => ids[(i * 7919) % ids.length]);
  const systems = probes.map((id) => index.get(id)?.codings[0]);
  let t0 = performance.now();
  for (const c of systems) if (c) index.lookup(c.system, c.code);
  const lookupMicros = ((performance.now() - t0) * 1000) / systems.length;
  const phrases = ['hypertension', 'type 2 diabetes mellitus', 'multiple sclerosis', 'chest pain', 'metformin', 'heart rate'];
  t0 = performance.now();
  const termRuns = 20_000;
  for (let i = 0; i < termRuns; i++) index.lookupTerm(phrases[i % phrases.length]);
  const lookupTermMicros = ((performance.now() - t0) * 1000) / termRuns;
  index.match(BENCH_NOTE);
  t0 = performance.now();
  const matchRuns = 200;
  for (let i = 0; i < matchRuns; i++) index.match(BENCH_NOTE);
  const matchMicrosPerChar = ((performance.now() - t0) * 1000) / matchRuns / BENCH_NOTE.length;
  return {
    name: index.name,
    version: index.version,
    sha256: index.sha256,
    stats: index.stats(),
    loadRuns: runs,
    loadMs: times[Math.floor(times.length / 2)],
    heapMiB,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    lookupMicros,
    lookupTermMicros,
    matchMicrosPerChar,
  };
}
