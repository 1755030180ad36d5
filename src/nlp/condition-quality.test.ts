/**
 * Which problems the rule pipeline writes and with what assertion, on the shipped index (issue 11 error analysis on
 * the clinical-notes dev split). Sentences are short paraphrases.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { createRulePipeline } from './pipeline.js';
import type { NlpPipeline, ProblemMention } from './types.js';

let pipeline: NlpPipeline;
beforeAll(async () => {
  pipeline = createRulePipeline({ terminology: await loadTerminologyIndex() });
});

async function problems(text: string): Promise<{ text: string; assertion: string }[]> {
  const { mentions } = await pipeline.analyze(text);
  return mentions
    .filter((m): m is ProblemMention => m.kind === 'problem')
    .map((m) => ({ text: text.slice(m.span.start, m.span.end).toLowerCase(), assertion: m.assertion }));
}

describe('steps of care are not problems', () => {
  it.each([
    'Counseled on low salt diet and exercise.',
    'Smoking cessation counseling provided for 5 minutes.',
  ])('%j writes no counseling problem', async (text) => {
    const found = await problems(text);
    expect(found.map((p) => p.text)).not.toContain('counseled');
    expect(found.map((p) => p.text)).not.toContain('counseling');
  });
});

describe('normal physical-exam negatives are not written; history and ROS negatives are', () => {
  it('drops findings denied in the exam', async () => {
    const found = await problems('Exam: Lungs clear, no wheezes or crackles. Heart RRR, no murmur.');
    expect(found.filter((p) => p.assertion === 'negated')).toEqual([]);
  });

  it('keeps denials from the review of systems', async () => {
    const found = await problems('ROS: Denies chest pain or palpitations.');
    expect(found).toContainEqual({ text: 'chest pain', assertion: 'negated' });
  });

  it('an "A/P by system" header ends the exam: a test result denied in the plan is kept', async () => {
    const text = 'Exam: RRR, no murmur.\n\nA/P by system:\nPulm: ARDS. Negative for PE on CTA.';
    const found = await problems(text);
    expect(found.map((p) => p.text)).not.toContain('murmur');
    expect(found).toContainEqual({ text: 'pe', assertion: 'negated' });
  });
});

describe('a concept that means the past is historical', () => {
  it.each([
    ['Former smoker, quit 2010. No alcohol.', 'former smoker'],
    ['SH: former smoker (30 pack-years), quit 2019.', 'former smoker'],
    ['He quit smoking 5 years ago.', 'quit smoking'],
  ])('%j: %j is historical, not negated', async (text, phrase) => {
    expect(await problems(text)).toContainEqual({ text: phrase, assertion: 'historical' });
  });
});

describe('how the patient looks is not a finding', () => {
  it.each(['Gen: tired-appearing but consolable, well hydrated.', 'Gen: ill appearing, diaphoretic.'])('%j', async (text) => {
    const found = (await problems(text)).map((p) => p.text);
    expect(found).not.toContain('tired');
    expect(found).not.toContain('ill');
  });
});

describe('the reason for a past hospital stay is historical; the current admission is not', () => {
  it.each([
    ['Was recently discharged from the hospital after being admitted for altered mental status.', 'altered mental status', 'historical'],
    ['Referred to rehab after admission 05/2024 for AECOPD.', 'aecopd', 'historical'],
    ['Admitted for community acquired pneumonia.', 'community acquired pneumonia', 'affirmed'],
  ])('%j: %j is %s', async (text, phrase, assertion) => {
    expect(await problems(text)).toContainEqual({ text: phrase, assertion });
  });
});

describe('a negation inside parentheses stays inside them', () => {
  it('does not reach past the closing parenthesis', async () => {
    const found = await problems('Varices (no red wale signs), one prior episode of hepatic encephalopathy.');
    expect(found).toContainEqual({ text: 'hepatic encephalopathy', assertion: 'historical' });
  });

  it('does not reach back past the opening parenthesis unless it opens it', async () => {
    expect(await problems('PMH: DM (diet controlled, no meds), HTN.')).toContainEqual({ text: 'dm', assertion: 'historical' });
    expect(await problems('Chest pain (no fever, no cough).')).toEqual([
      { text: 'chest pain', assertion: 'affirmed' },
      { text: 'fever', assertion: 'negated' },
      { text: 'cough', assertion: 'negated' },
    ]);
  });
});

it('a procedure status named "history of" stays affirmed (the patient has had the CABG)', async () => {
  expect(await problems('Assessment: history of coronary artery bypass grafting.')).toContainEqual({
    text: 'history of coronary artery bypass grafting',
    assertion: 'affirmed',
  });
});

describe('a rated symptom is a problem and a score', () => {
  it('"R knee pain 6/10" writes the knee pain; "pain 7/10" alone only the score', async () => {
    const text = 'Reports R knee pain 6/10 at rest. Pain 7/10 after PT.';
    const { mentions } = await pipeline.analyze(text);
    const found = await problems(text);
    expect(found.map((p) => p.text)).toEqual(['r knee pain']);
    expect(mentions.filter((m) => m.kind === 'measurement')).toHaveLength(2);
  });
});

describe('an examination written straight after the vital signs', () => {
  it('body-system lines after a vitals header are the exam: their normal negatives are not written', async () => {
    const text = 'VS: T 38.9 C | HR 138 | RR 30\n\nGen: tired but consolable\nLungs: CTAB, no wheezes/crackles\nCV: RRR, no murmur';
    expect((await problems(text)).filter((p) => p.assertion === 'negated')).toEqual([]);
  });

  it('a review of systems keeps its denials, and "only" ends a denial', async () => {
    expect(await problems('ROS: CV: denies chest pain.')).toEqual([{ text: 'chest pain', assertion: 'negated' }]);
    const found = await problems('History: no clubbing, only trace edema.');
    expect(found.find((p) => p.text === 'edema')?.assertion).toBe('affirmed');
  });
});

describe('what a problem is recorded as', () => {
  it('"No known drug allergies" is never a problem', async () => {
    expect(await problems('Allergies: No known drug allergies.')).toEqual([]);
  });

  it('tobacco use the sentence puts in the past is a former smoker; a social-history section alone does not', async () => {
    const { mentions } = await pipeline.analyze('He has history of tobacco use in the past.');
    const past = mentions.find((m) => m.kind === 'problem');
    expect(past?.concept?.codings.map((c) => c.code)).toContain('8517006');
    expect(past?.assertion).toBe('historical');
    const current = (await pipeline.analyze('SOCIAL HISTORY: Current smoker, 1 ppd.')).mentions.find((m) => m.kind === 'problem');
    expect(current?.concept?.codings.map((c) => c.code)).not.toContain('8517006');
  });
});

describe('"never" denies what follows it closely', () => {
  it('"SHx: never smoker" is a denial; "pain never resolved" is not', async () => {
    expect((await problems('SHx: never smoker. Wine 1-2 glasses/wk.')).find((p) => p.text === 'smoker')?.assertion).toBe('negated');
    expect((await problems('Her back pain never resolved.')).find((p) => p.text.includes('pain'))?.assertion).not.toBe('negated');
  });
});
