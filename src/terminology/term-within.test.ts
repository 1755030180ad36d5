import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { splitSentenceSpans, splitWords } from '../nlp/ner/words.js';
import { FIXTURE_NOTES } from '../nlp/testing/fixture-notes.js';
import { MTSAMPLES_RELATIVE_PATH, readMtsamplesNotes } from '../nlp/testing/mtsamples.js';
import { buildDefaultTestTerminology } from '../nlp/testing/test-terminology.js';
import { DictionaryIndex } from './dictionary-index.js';
import { parseIndexText } from './index-data.js';
import { INDEX_FORMAT } from './index-format.js';
import { loadTerminologyIndex } from './load-index.js';
import type { TerminologyIndex } from './types.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Longer substrings are never term keys (the longest keys have about a dozen words); capping keeps the test fast. */
const MAX_WORDS = 16;
/** Every 20th MTSamples note: ~250 notes, every sentence and substring of each. */
const MTSAMPLES_STRIDE = 20;

let index: DictionaryIndex;
beforeAll(async () => {
  index = await loadTerminologyIndex();
});

/** Texts that cut term tokens where model words split: apostrophes, decimal marks, roman numerals, semantic tags. */
const TRICKY = [
  "Parkinson's disease and Crohn's disease; Alzheimer's.",
  'type II diabetes mellitus, stage IV chronic kidney disease, class III obesity, grade ii',
  'II diabetes; IV contrast; the type 2 diabetes',
  'metformin 0.5 mg, 1,000 mg acetaminophen, 2.5mg warfarin',
  'Asthma (disorder) and Hypertension (finding) noted',
  "pt's mother's CHF, don't know; O'Neil's sign",
  'blood pressure high, pain chest, diabetes type 2',
  "2.5mg warfarin, o'neil2 x, 1.5x2.5cm mass, vitamin b12's level, 0.9%saline",
];

interface Violation {
  readonly note: string;
  readonly start: number;
  readonly end: number;
}

/** Every whole-word substring with a concept must lie in a range (itself, its sentence) that `hasTermWithin` accepts. */
function check(terminology: TerminologyIndex, notes: readonly { id: string; text: string }[]): { violations: Violation[]; sentences: number; rejected: number; hits: number } {
  const violations: Violation[] = [];
  let sentences = 0;
  let rejected = 0;
  let hits = 0;
  for (const { id, text } of notes) {
    for (const s of splitSentenceSpans(text)) {
      sentences++;
      const sentenceOk = terminology.hasTermWithin(text, s.start, s.end);
      if (!sentenceOk) rejected++;
      const words = splitWords(text, s.start, s.end);
      for (let a = 0; a < words.length; a++) {
        for (let b = a; b < Math.min(words.length, a + MAX_WORDS); b++) {
          const start = words[a].start;
          const end = words[b].end;
          if (!terminology.lookupTerm(text.slice(start, end))) continue;
          hits++;
          // ids and offsets only: note text never goes into a report
          if (!sentenceOk || !terminology.hasTermWithin(text, start, end)) violations.push({ note: id, start, end });
        }
      }
    }
  }
  return { violations, sentences, rejected, hits };
}

describe('hasTermWithin is a superset of lookupTerm over whole-word substrings', () => {
  test('shipped index: tricky tokenisation (apostrophes, decimals, roman numerals, semantic tags)', () => {
    const r = check(index, TRICKY.map((text, i) => ({ id: `tricky-${i}`, text })));
    expect(r.violations).toEqual([]);
    expect(r.hits).toBeGreaterThan(10);
  });

  test('shipped index: the committed fixture notes', () => {
    const r = check(index, FIXTURE_NOTES.map((n) => ({ id: n.id, text: n.text })));
    expect(r.violations).toEqual([]);
    expect(r.hits).toBeGreaterThan(50);
    expect(r.rejected).toBeGreaterThan(0); // it does reject something
  });

  // The MTSamples corpus lives outside the repository (../shared/data); without it the fixtures above still run.
  const corpus = readMtsamplesNotes(join(REPO_ROOT, MTSAMPLES_RELATIVE_PATH));
  test.runIf(corpus !== undefined)('shipped index: every 20th MTSamples note', () => {
    const notes = (corpus ?? []).filter((_, i) => i % MTSAMPLES_STRIDE === 0).map((n) => ({ id: `mtsamples-${n.noteId}`, text: n.text }));
    const r = check(index, notes);
    expect(r.violations.slice(0, 20)).toEqual([]);
    expect(r.rejected / r.sentences).toBeGreaterThan(0.2);
  }, 300_000);

  test('a tiny index whose terms are reachable only through re-tokenised parts of a sentence', () => {
    // keys: 's' ("Parkinson's" cut after the apostrophe), '5mg' ("2.5mg" cut after the decimal mark), 'ii diabet'
    // ("type II diabetes" read from the numeral), 'xyz 7' (a bag: "7 xyz")
    const lines = [
      JSON.stringify({ format: INDEX_FORMAT, name: 'tiny', version: '0' }),
      'C\tsct:1\tdisorder\tOne\tsct|1|One\t\t',
      'T\ts\t0',
      'T\t5mg\t0',
      'T\tii diabet\t0',
      'T\txyz 7\t0',
      'B\t7 xyz\t0',
    ];
    const tiny = new DictionaryIndex(parseIndexText(lines.join('\n')), '0'.repeat(64));
    const texts = ["He has Parkinson's today", 'took 2.5mg daily', 'has type II diabetes', 'seen 7 xyz now', 'nothing to see'];
    const r = check(tiny, texts.map((text, i) => ({ id: `tiny-${i}`, text })));
    expect(r.violations).toEqual([]);
    expect(r.hits).toBeGreaterThanOrEqual(4);
    expect(texts.map((t) => tiny.hasTermWithin(t, 0, t.length))).toEqual([true, true, true, true, false]);
  });

  test('test index: exact on the fixtures and the tricky texts', () => {
    const terminology = buildDefaultTestTerminology();
    const notes = [...FIXTURE_NOTES.map((n) => ({ id: n.id, text: n.text })), ...TRICKY.map((text, i) => ({ id: `tricky-${i}`, text }))];
    const r = check(terminology, notes);
    expect(r.violations).toEqual([]);
    expect(r.hits).toBeGreaterThan(10);
    expect(terminology.hasTermWithin('no findings here', 0, 16)).toBe(false);
  });
});
