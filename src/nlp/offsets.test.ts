import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { analyzeWithRules } from './analyze-rules.js';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { checkSpans } from './testing/check-spans.js';
import { FIXTURE_NOTES } from './testing/fixture-notes.js';
import { MTSAMPLES_RELATIVE_PATH, readMtsamplesNotes } from './testing/mtsamples.js';
import { buildDefaultTestTerminology } from './testing/test-terminology.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const deps = { terminology: buildDefaultTestTerminology(), lexicons: readRuleLexicons() };

/** Runs every rule stage on each note; collects exceptions and span violations by note id (never text). */
function roundTrip(notes: readonly { id: string; text: string }[]): { analysed: number; failures: string[] } {
  const failures: string[] = [];
  let analysed = 0;
  for (const note of notes) {
    try {
      const result = analyzeWithRules(note.text, deps);
      for (const problem of checkSpans(note.text, result)) failures.push(`${note.id}: ${problem}`);
      analysed++;
    } catch (err: unknown) {
      failures.push(`${note.id}: threw ${err instanceof Error ? err.name : typeof err}`);
    }
  }
  return { analysed, failures };
}

describe('offsets round-trip', () => {
  test('on the committed synthetic fixture notes (every layout)', () => {
    const { analysed, failures } = roundTrip(FIXTURE_NOTES);
    expect(failures).toEqual([]);
    expect(analysed).toBe(FIXTURE_NOTES.length);
  });

  // The MTSamples corpus lives outside the repository (../shared/data). When a clone does not have it, the same
  // check runs on the committed fixtures instead, so the test always asserts something.
  const corpus = readMtsamplesNotes(join(REPO_ROOT, MTSAMPLES_RELATIVE_PATH));
  const notes = corpus
    ? corpus.map((n) => ({ id: `mtsamples-${n.noteId}`, text: n.text }))
    : FIXTURE_NOTES.map((n) => ({ id: `fixture-${n.id}`, text: n.text }));
  test(`on ${corpus ? `all ${corpus.length} MTSamples notes` : 'the fixtures (MTSamples corpus not present)'}: 100%, no stage throws`, () => {
    const { analysed, failures } = roundTrip(notes);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(analysed).toBe(notes.length);
    if (corpus) expect(corpus.length).toBe(4999);
  }, 120_000);
});
