import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SNOMED } from '../terminology/systems.js';
import type { ExtractFn } from './synthea.js';
import { createSyntheaSuite, extractedFromMentions, syntheaSuite } from './synthea.js';

const DATA = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const row = (rows: readonly { category: string }[], category: string): unknown => rows.find((r) => r.category === category);

describe('chartmine eval synthea', () => {
  it('scores encounter-scoped extractions per resource type, held-out apart, unstated gold apart', async () => {
    const report = await syntheaSuite.run({ dataDir: DATA, args: [] });
    expect(row(report.rows, 'held-out Condition')).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(row(report.rows, 'held-out MedicationRequest')).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    // HPI history and the standing medication list are earlier encounters: ignored. Viral sinusitis is not gold.
    expect(row(report.rows, 'development Condition')).toMatchObject({ tp: 1, fp: 1, fn: 0, precision: 0.5, recall: 1 });
    expect(row(report.rows, 'development MedicationRequest')).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(report.extra?.notStated).toMatchObject({ 'development Condition': 1, 'held-out Condition': 0 });
    expect(report.text).toContain('held-out');
    expect(report.text).not.toContain('Test Patient'); // no note text in the report
  });

  it('takes any extraction function (e.g. the NLP pipeline)', async () => {
    const nothing: ExtractFn = () => Promise.resolve([]);
    const suite = createSyntheaSuite({ createExtractor: () => Promise.resolve(nothing) });
    const report = await suite.run({ dataDir: DATA, args: [] });
    expect(row(report.rows, 'development Condition')).toMatchObject({ tp: 0, fp: 0, fn: 1, recall: 0 });
  });

  it('converts pipeline mentions: affirmed problems and medications only', () => {
    const concept = { id: 'sct:1', group: 'disorder' as const, display: 'x', codings: [{ system: SNOMED, code: '1', display: 'x' }] };
    const base = { id: 'p', span: { start: 0, end: 1 }, sentence: 0, section: undefined, concept, confidence: 1, sources: [] };
    const out = extractedFromMentions([
      { ...base, kind: 'problem', assertion: 'affirmed' },
      { ...base, kind: 'problem', assertion: 'negated' },
      { ...base, kind: 'problem', assertion: 'affirmed', concept: undefined },
    ]);
    expect(out).toEqual([{ resourceType: 'Condition', start: 0, end: 1, codings: concept.codings, ingredients: undefined }]);
  });

  it('names the missing data file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'chartmine-eval-'));
    await expect(syntheaSuite.run({ dataDir: empty, args: [] })).rejects.toThrow(/DocumentReference\.000\.ndjson/);
    await rm(empty, { recursive: true, force: true });
  });
});
