import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTerminologyIndex } from '../load-index.js';
import type { DictionaryIndex } from '../dictionary-index.js';
import { ICD10CM, LOINC, RXNORM, SNOMED } from '../systems.js';
import { importReleases } from './run-import.js';
import { parseOrderLine } from './icd10cm-order.js';
import { MissingInputError } from '../build/read-files.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
let out: string;
let index: DictionaryIndex;
const progress: string[] = [];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'chartmine-import-'));
  await importReleases({
    out,
    snomed: join(FIXTURES, 'snomed'),
    snomedIcd10cm: true,
    rxnorm: join(FIXTURES, 'rxnorm'),
    loinc: join(FIXTURES, 'loinc', 'LoincTable', 'Loinc.csv'),
    icd10cm: join(FIXTURES, 'icd10cm', 'icd10cm-order-2024.txt'),
    name: 'fixture-release',
    version: '2024.1',
    onProgress: (m) => progress.push(m),
  });
  index = await loadTerminologyIndex(out);
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('terminology import (official formats, fixture releases)', () => {
  it('writes an index with the given name and version and reports progress', () => {
    expect(index.name).toBe('fixture-release');
    expect(index.version).toBe('2024.1');
    expect(progress.some((m) => m.startsWith('SNOMED CT:'))).toBe(true);
    expect(progress.some((m) => m.startsWith('RxNorm:'))).toBe(true);
  });

  it('imports SNOMED CT: active concepts, US preferred display, accepted synonyms, groups from the FSN tag', () => {
    const htn = index.lookup(SNOMED, '38341003');
    expect(htn?.display).toBe('Hypertensive disorder, systemic arterial');
    expect(htn?.group).toBe('disorder');
    expect(index.lookup(SNOMED, '29857009')?.group).toBe('finding');
    expect(index.lookupTerm('high blood pressure disorder')?.id).toBe('sct:38341003');
    expect(index.lookupTerm('retired wording')).toBeUndefined();
    expect(index.lookupTerm('not in the language refset')).toBeUndefined();
    expect(index.lookup(SNOMED, '15777000')).toBeUndefined(); // inactive concept
    expect(index.lookup(SNOMED, '80891009')).toBeUndefined(); // body structure: not coded from notes
  });

  it('imports the ICD-10-CM extended map: group 1, first always-true rule', () => {
    const codes = (code: string): string[] =>
      (index.lookup(SNOMED, code)?.codings ?? []).filter((c) => c.system === ICD10CM).map((c) => c.code);
    expect(codes('38341003')).toEqual(['I10']);
    expect(codes('44054006')).toEqual(['E11.9']);
    expect(codes('29857009')).toEqual(['R07.9']);
    expect(index.lookup(SNOMED, '38341003')?.codings[1].display).toBe('Essential (primary) hypertension');
  });

  it('imports ICD-10-CM from the CDC fixed-width order file', () => {
    expect(index.lookup(ICD10CM, 'E11.65')?.display).toBe('Type 2 diabetes mellitus with hyperglycemia');
    expect(index.lookup(ICD10CM, 'E11')?.display).toBe('Type 2 diabetes mellitus');
    expect(parseOrderLine('garbage')).toBeUndefined();
  });

  it('imports RxNorm: ingredients, clinical drugs with ingredients via RXNREL, brands and salts as ingredient terms', () => {
    expect(index.lookup(RXNORM, '6809')?.group).toBe('medication');
    const scd = index.lookup(RXNORM, '860975');
    expect(scd?.group).toBe('clinical-drug');
    expect(scd?.ingredients?.map((c) => c.code)).toEqual(['6809']);
    expect(index.lookupTerm('Glucophage')?.id).toBe('rx:6809');
    expect(index.lookupTerm('Lipitor')?.id).toBe('rx:83367');
    expect(index.lookupTerm('metformin hydrochloride')?.id).toBe('rx:6809');
    expect(index.lookupTerm('metformin ER 500 MG 24HR Oral Tablet')?.id).toBe('rx:860975');
    expect(index.lookup(RXNORM, '6810')).toBeUndefined(); // Spanish
    expect(index.lookup(RXNORM, '99999')).toBeUndefined(); // suppressed
    // Without an RXNREL link the ingredient is read from the drug name.
    expect(index.lookup(RXNORM, '617310')?.ingredients?.map((c) => c.code)).toEqual(['83367']);
  });

  it('imports LOINC: active codes, multi-line quoted fields, component terms and linguistic variants', () => {
    expect(index.lookup(LOINC, '2345-7')?.display).toBe('Glucose [Mass/volume] in Serum or Plasma');
    expect(index.lookup(LOINC, '9999-1')).toBeUndefined();
    expect(index.lookupTerm('glucose')?.id).toBe('loinc:2345-7');
    expect(index.lookupTerm('hemoglobin a1c')?.id).toBe('loinc:4548-4');
    expect(index.lookupTerm('Glukose [Masse/Volumen] in Serum oder Plasma')?.id).toBe('loinc:2345-7');
  });

  it('matches text with the imported index', () => {
    const text = 'Hypertensive disorder, systemic arterial; on Glucophage; glucose 140';
    expect(index.match(text).map((m) => m.concept.id)).toEqual(['sct:38341003', 'rx:6809', 'loinc:2345-7']);
  });

  it('names the missing release file', async () => {
    await expect(importReleases({ out, snomed: join(FIXTURES, 'rxnorm') })).rejects.toBeInstanceOf(MissingInputError);
  });
});
