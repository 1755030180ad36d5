import { describe, expect, test } from 'vitest';
import { ICD10CM, LOINC, RXNORM, SNOMED } from '../terminology/systems.js';
import { compileRuleLexicons, LEXICON_FILES, readRuleLexicons, defaultLexiconDir } from './lexicons/rule-lexicons.js';
import { createRulePipeline } from './pipeline.js';
import { buildDefaultTestTerminology, buildTestTerminology, TEST_CONCEPTS } from './testing/test-terminology.js';
import type { MeasurementMention, MedicationMention, Mention } from './types.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const terminology = buildDefaultTestTerminology();
const pipeline = createRulePipeline({ terminology });

function at(text: string, phrase: string, from = 0): { start: number; end: number } {
  const start = text.indexOf(phrase, from);
  if (start < 0) throw new Error(`'${phrase}' not in text`);
  return { start, end: start + phrase.length };
}

function code(m: Mention, system: string): string | undefined {
  return m.concept?.codings.find((c) => c.system === system)?.code;
}

describe('createRulePipeline (M1 acceptance)', () => {
  const text = 'Hypertension, type 2 diabetes on metformin 500 mg PO BID; denies chest pain; BP 151/93, HR 77';

  test('finds problems, the drug with its sig, and the vitals, with exact spans', async () => {
    const { mentions } = await pipeline.analyze(text);
    const byText = new Map(mentions.map((m) => [text.slice(m.span.start, m.span.end), m]));
    expect([...byText.keys()]).toEqual(['Hypertension', 'type 2 diabetes', 'metformin', 'chest pain', 'BP 151/93', 'HR 77']);

    const htn = byText.get('Hypertension')!;
    expect(htn).toMatchObject({ kind: 'problem', assertion: 'affirmed', span: at(text, 'Hypertension') });
    expect(code(htn, SNOMED)).toBe('38341003');
    expect(code(htn, ICD10CM)).toBe('I10');

    const t2dm = byText.get('type 2 diabetes')!;
    expect(t2dm).toMatchObject({ kind: 'problem', assertion: 'affirmed', span: at(text, 'type 2 diabetes') });
    expect(code(t2dm, SNOMED)).toBe('44054006');
    expect(code(t2dm, ICD10CM)).toBe('E11.9');

    const cp = byText.get('chest pain')!;
    expect(cp).toMatchObject({ kind: 'problem', assertion: 'negated', span: at(text, 'chest pain') });
    expect(code(cp, SNOMED)).toBe('29857009');

    const met = byText.get('metformin') as MedicationMention;
    expect(met.kind).toBe('medication');
    expect(met.assertion).toBe('affirmed');
    expect(met.span).toEqual(at(text, 'metformin'));
    expect(code(met, RXNORM)).toBe('6809');
    expect(met.sig.dose).toEqual({ value: 500, unit: 'mg' });
    expect(met.sig.route).toBe('oral');
    expect(met.sig.timing).toEqual({ frequency: 2, period: 1, periodUnit: 'd', code: 'BID' });
    expect(met.sig.span).toEqual(at(text, '500 mg PO BID'));
    expect(met.status).toBe('active');

    const bp = byText.get('BP 151/93') as MeasurementMention;
    expect(bp).toMatchObject({ kind: 'measurement', category: 'vital-signs', assertion: 'affirmed', span: at(text, 'BP 151/93') });
    expect(code(bp, LOINC)).toBe('85354-9');
    expect(bp.components).toEqual([
      expect.objectContaining({ value: 151, unit: 'mm[Hg]', span: at(text, '151') }),
      expect.objectContaining({ value: 93, unit: 'mm[Hg]', span: at(text, '93') }),
    ]);
    expect(bp.components!.map((c) => c.concept.codings[0].code)).toEqual(['8480-6', '8462-4']);

    const hr = byText.get('HR 77') as MeasurementMention;
    expect(hr).toMatchObject({ kind: 'measurement', value: 77, unit: '/min', assertion: 'affirmed', span: at(text, 'HR 77') });
    expect(code(hr, LOINC)).toBe('8867-4');
  });

  test('every span round-trips and ids follow kind-start-end', async () => {
    const result = await pipeline.analyze(text);
    for (const m of result.mentions) {
      expect(m.id).toBe(`${m.kind}-${m.span.start}-${m.span.end}`);
      expect(m.sentence).toBeGreaterThanOrEqual(0);
      expect(text.slice(m.span.start, m.span.end).trim()).toBe(text.slice(m.span.start, m.span.end));
    }
    for (const t of result.tokens ?? []) expect(text.slice(t.start, t.end).toLowerCase()).toBe(t.norm);
  });
});

describe('pipeline info', () => {
  test('names its components and has a version safe for job ids', () => {
    expect(pipeline.info.name).toBe('chartmine-rules');
    expect(pipeline.info.version).toMatch(/^[0-9a-z.-]+$/);
    expect(pipeline.info.components.map((c) => c.name)).toEqual(['chartmine-rule-lexicons', terminology.name]);
  });

  test('the version changes when a lexicon file or the terminology changes', () => {
    const dir = defaultLexiconDir();
    const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
    const sources = {
      sectionHeaders: read(LEXICON_FILES.sectionHeaders),
      contextTriggers: read(LEXICON_FILES.contextTriggers),
      abbreviations: read(LEXICON_FILES.abbreviations),
      measurements: read(LEXICON_FILES.measurements),
    };
    const base = createRulePipeline({ terminology, lexicons: readRuleLexicons() }).info.version;
    const edited = compileRuleLexicons({ ...sources, contextTriggers: `${sources.contextTriggers}nary a\tnegated\tforward\t\tchartmine\n` });
    expect(createRulePipeline({ terminology, lexicons: edited }).info.version).not.toBe(base);
    const otherIndex = buildTestTerminology(TEST_CONCEPTS.slice(1));
    expect(createRulePipeline({ terminology: otherIndex }).info.version).not.toBe(base);
    expect(createRulePipeline({ terminology }).info.version).toBe(base);
  });
});
