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

  test('a drug named in a past-medical-history section keeps its own status; a problem there stays historical', async () => {
    const note = 'PAST MEDICAL HISTORY: Hypertension. He is on lisinopril.';
    const { mentions } = await pipeline.analyze(note);
    const drug = mentions.find((m) => m.kind === 'medication') as MedicationMention;
    expect(drug).toMatchObject({ assertion: 'affirmed', status: 'active' });
    expect(mentions.find((m) => m.kind === 'problem')).toMatchObject({ assertion: 'historical' }); // consolidation decides chronic → present
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

describe('a whole note through the pipeline', () => {
  const note = [
    'CHIEF COMPLAINT: Chest pain.',
    'HPI: 62 yo M with HTN presents with CP and SOB. No fever, chills or cough. He is not taking his aspirin.',
    'PMH: Asthma. MI in 2010.',
    'Medications:',
    '- Lisinopril 10 mg PO daily',
    '- Albuterol 2 puffs inhaled q4-6h prn wheezing',
    'Allergies: Penicillin (hives), sulfa - rash',
    'Family History: Mother with breast cancer. Father had a stroke.',
    'Vitals: T 98.6F, BP 142/88 mmHg, P 88, RR 16, SpO2 96% RA, HR 500',
    'Assessment/Plan: Chest pain, r/o MI. Start metformin 500 mg BID with meals. Stop lisinopril. Hold warfarin.',
    'Return if fever.',
  ].join('\n');
  const find = (mentions: readonly Mention[], phrase: string, from = 0): Mention => {
    const start = note.indexOf(phrase, from);
    const m = mentions.find((x) => x.span.start === start && x.span.end === start + phrase.length);
    if (!m) throw new Error(`no mention at '${phrase}'`);
    return m;
  };

  test('sections are LOINC-coded and mentions carry their section', async () => {
    const { sections, mentions } = await pipeline.analyze(note);
    expect(sections.map((s) => [s.kind, s.loinc])).toEqual([
      ['chief-complaint', '10154-3'],
      ['history-present-illness', '10164-2'],
      ['past-medical-history', '11348-0'],
      ['medications', '10160-0'],
      ['allergies', '48765-2'],
      ['family-history', '10157-6'],
      ['vital-signs', '8716-3'],
      ['assessment-and-plan', '51847-2'],
    ]);
    expect(find(mentions, 'Asthma').section).toBe('past-medical-history');
  });

  test('assertions from sentence and section context', async () => {
    const { mentions } = await pipeline.analyze(note);
    expect(find(mentions, 'HTN')).toMatchObject({ kind: 'problem', assertion: 'affirmed' });
    expect(['fever', 'chills', 'cough'].map((p) => find(mentions, p).assertion)).toEqual(['negated', 'negated', 'negated']);
    expect(find(mentions, 'Asthma').assertion).toBe('historical');
    expect(find(mentions, 'breast cancer')).toMatchObject({ assertion: 'family', relative: 'MTH' });
    expect(find(mentions, 'stroke')).toMatchObject({ assertion: 'family', relative: 'FTH' });
    expect(find(mentions, 'MI', note.indexOf('r/o'))).toMatchObject({ assertion: 'possible' });
    expect(find(mentions, 'fever', note.indexOf('Return'))).toMatchObject({ assertion: 'hypothetical' });
  });

  test('medications: sig, status from cues and sections', async () => {
    const { mentions } = await pipeline.analyze(note);
    const med = (phrase: string, from = 0) => find(mentions, phrase, from) as MedicationMention;
    expect(med('aspirin')).toMatchObject({ kind: 'medication', status: 'not-taken' });
    expect(med('Lisinopril')).toMatchObject({
      status: 'active',
      sig: { dose: { value: 10, unit: 'mg' }, route: 'oral', timing: { code: 'QD' } },
    });
    const albuterol = med('Albuterol');
    expect(albuterol.sig).toMatchObject({
      dose: { value: 2, unit: '{puff}' },
      route: 'inhaled',
      timing: { frequency: 1, period: 4, periodMax: 6, periodUnit: 'h' },
      asNeeded: true,
    });
    expect(note.slice(albuterol.sig.asNeededFor!.start, albuterol.sig.asNeededFor!.end)).toBe('wheezing');
    expect(med('metformin')).toMatchObject({ status: 'intended', sig: { timing: { code: 'BID', when: ['C'] } } });
    expect(med('lisinopril', note.indexOf('Stop'))).toMatchObject({ status: 'stopped' });
    expect(med('warfarin')).toMatchObject({ status: 'on-hold' });
  });

  test('allergies with their reactions; the reaction is not reported as a problem', async () => {
    const { mentions } = await pipeline.analyze(note);
    const pcn = find(mentions, 'Penicillin');
    expect(pcn.kind).toBe('allergy');
    expect(pcn.kind === 'allergy' && pcn.reaction && note.slice(pcn.reaction.span.start, pcn.reaction.span.end)).toBe('hives');
    const sulfa = find(mentions, 'sulfa');
    expect(sulfa.kind === 'allergy' && sulfa.reaction?.concept?.display).toBe('Rash');
    expect(mentions.some((m) => m.kind === 'problem' && note.slice(m.span.start, m.span.end) === 'hives')).toBe(false);
  });

  test('"allergic to X" outside an allergy section is an allergy', async () => {
    const text = 'She is allergic to penicillin and takes lisinopril.';
    const { mentions } = await pipeline.analyze(text);
    expect(mentions.map((m) => m.kind)).toEqual(['allergy', 'medication']);
  });

  test('vitals are measurements; the implausible HR is rejected with a reason', async () => {
    const result = await pipeline.analyze(note);
    const vitals = result.mentions.filter((m): m is MeasurementMention => m.kind === 'measurement');
    expect(vitals.map((m) => note.slice(m.span.start, m.span.end))).toEqual([
      'T 98.6F', 'BP 142/88 mmHg', 'P 88', 'RR 16', 'SpO2 96%',
    ]);
    expect(vitals.every((m) => m.assertion === 'affirmed' && m.section === 'vital-signs')).toBe(true);
    expect(result.rejectedMeasurements).toEqual([{ span: at(note, 'HR 500'), key: 'heart-rate', reason: 'implausible-value' }]);
  });
});

describe('robustness and PHI', () => {
  test('degenerate inputs give empty results, never errors', async () => {
    for (const text of ['', ' ', '\n\n', '...', '\u0000\u0001', 'a'.repeat(10_000)]) {
      const result = await pipeline.analyze(text);
      expect(result.mentions).toEqual([]);
    }
  });

  test('errors name offsets, never text', async () => {
    const { assertTarget } = await import('./assert-target.js');
    const secret = 'Jane Roe has HIV';
    let message = '';
    try {
      assertTarget(secret, { start: 5, end: 99 }, readRuleLexicons());
    } catch (err: unknown) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toMatch(/\[5, 99\)/);
    expect(message).not.toContain('Jane');
    expect(message).not.toContain('HIV');
  });
});
