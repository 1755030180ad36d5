import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { ICD10CM } from '../terminology/systems.js';
import { createNotesSuite, notesSuite } from './notes.js';

const DATA = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const row = (rows: readonly { category: string }[], category: string): unknown => rows.find((r) => r.category === category);

describe('chartmine eval notes', () => {
  it('scores the Bundle of each note against its gold file, with --details naming the text of a false positive', async () => {
    const only: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Condition',
            subject: { reference: 'Patient/x' },
            code: { coding: [{ system: ICD10CM, code: 'I10' }], text: 'Hypertension' },
            extension: [
              {
                url: 'http://hl7.org/fhir/StructureDefinition/derivation-reference',
                extension: [
                  { url: 'offset', valueInteger: 5 },
                  { url: 'length', valueInteger: 3 },
                ],
              },
            ],
          },
        },
        { resource: { resourceType: 'Condition', subject: { reference: 'Patient/x' }, code: { text: 'Wt' }, extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/derivation-reference', extension: [{ url: 'offset', valueInteger: 68 }, { url: 'length', valueInteger: 2 }] }] } },
      ],
    };
    const suite = createNotesSuite({ createExtractor: () => Promise.resolve(() => Promise.resolve(only)) });
    const report = await suite.run({ dataDir: DATA, args: ['--split', 'dev', '--details'] });
    expect(row(report.rows, 'conditions (strict)')).toMatchObject({ tp: 1, fp: 1, fn: 1 }); // HTN found; chest pain missed; "Wt" extra
    expect(row(report.rows, 'medications')).toMatchObject({ tp: 0, fn: 1 });
    expect(report.text).toMatch(/^n01$/m);
    expect(report.text).toContain('FP    conditions     Condition "Wt" [] affirmed  «Wt»');
    expect(report.text).toContain('hypothetical findings written as Condition: 0');
  });

  it('runs the real pipeline (rules only) on the fixture note', async () => {
    const report = await notesSuite.run({ dataDir: DATA, args: ['--no-model'] });
    expect(report.rows.map((r) => r.category)).toEqual([
      'conditions (strict)',
      'conditions (lenient)',
      'procedures',
      'medications',
      'observations',
      'allergies',
      'family history',
    ]);
    expect(row(report.rows, 'conditions (strict)')).toMatchObject({ tp: 2 }); // HTN affirmed, chest pain negated
    expect(row(report.rows, 'medications')).toMatchObject({ tp: 1 });
    expect(report.extra).toMatchObject({ hypotheticalWritten: 0, split: 'dev', notes: 1 });
  }, 60_000);

  it('names the missing folder and refuses an unknown split', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'chartmine-eval-notes-'));
    try {
      await expect(notesSuite.run({ dataDir: empty, args: [] })).rejects.toThrow(/clinical notes folder.*clinical-notes-gold[/\\]dev[/\\]notes/);
      await expect(notesSuite.run({ dataDir: DATA, args: ['--split', 'train'] })).rejects.toThrow(/--split must be dev or test/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
