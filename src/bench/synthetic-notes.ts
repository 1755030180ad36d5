/**
 * Deterministic synthetic clinical notes for benchmarks: sectioned progress notes of a chosen length with problems
 * (some negated, some in family history), medications with sigs, vitals and labs. Pure: same seed, same notes.
 * Never real patient text.
 */

const PROBLEMS = [
  'hypertension', 'type 2 diabetes mellitus', 'hyperlipidemia', 'asthma', 'COPD', 'chronic kidney disease',
  'atrial fibrillation', 'congestive heart failure', 'coronary artery disease', 'osteoarthritis', 'depression',
  'anxiety', 'hypothyroidism', 'GERD', 'obstructive sleep apnea', 'obesity', 'migraine', 'anemia',
];
const SYMPTOMS = ['chest pain', 'shortness of breath', 'fever', 'cough', 'nausea', 'headache', 'dizziness', 'palpitations', 'abdominal pain', 'fatigue'];
const MEDS = [
  ['metformin', '500 mg PO BID'], ['lisinopril', '10 mg PO daily'], ['atorvastatin', '40 mg PO QHS'],
  ['amlodipine', '5 mg PO daily'], ['albuterol', '2 puffs inhaled q4h prn wheezing'], ['levothyroxine', '75 mcg PO daily'],
  ['furosemide', '20 mg PO daily'], ['sertraline', '50 mg PO daily'], ['omeprazole', '20 mg PO daily'],
  ['warfarin', '5 mg PO daily'], ['gabapentin', '300 mg PO TID'], ['insulin glargine', '20 units SC QHS'],
] as const;
const RELATIVES = ['Mother', 'Father', 'Sister', 'Brother', 'Maternal grandmother'];
const FILLER = [
  'The patient was seen in clinic today for routine follow-up.',
  'She reports adherence to her current regimen and has no new complaints.',
  'We discussed diet, exercise and the importance of regular monitoring at home.',
  'The patient understands the plan and agrees with it.',
  'Questions were answered to the patient\'s satisfaction.',
  'He walks about thirty minutes most days and sleeps reasonably well.',
  'Home readings have been variable over the past month according to the log she brought.',
  'Will continue to monitor closely and adjust therapy as needed.',
  'Return precautions were reviewed in detail.',
  'Records from the outside clinic were reviewed and summarized.',
];

/** A small, fast, seedable PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates notes.
 * @param count - how many notes.
 * @param seed - the seed (same seed, same notes).
 * @param minWords - shortest note in words.
 * @param maxWords - longest note in words.
 * @returns the note texts.
 */
export function generateSyntheticNotes(count: number, seed = 42, minWords = 300, maxWords = 800): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const notes: string[] = [];
  for (let n = 0; n < count; n++) {
    const target = int(minWords, maxWords);
    const problems = [pick(PROBLEMS), pick(PROBLEMS), pick(PROBLEMS)];
    const meds = [pick(MEDS), pick(MEDS), pick(MEDS)];
    const parts = [
      `Chief Complaint: follow-up of ${problems[0]}.`,
      '',
      `History of Present Illness: ${int(35, 85)} year old patient with ${problems[0]} and ${problems[1]} presents for follow-up. ` +
        `Denies ${pick(SYMPTOMS)} or ${pick(SYMPTOMS)}. Reports occasional ${pick(SYMPTOMS)}.`,
      '',
      `Past Medical History: ${problems.join(', ')}.`,
      '',
      'Medications:',
      ...meds.map(([name, sig]) => `- ${name} ${sig}`),
      '',
      `Family History: ${pick(RELATIVES)} with ${pick(PROBLEMS)}.`,
      '',
      `Vitals: BP ${int(110, 165)}/${int(65, 98)}, HR ${int(55, 105)}, RR ${int(12, 20)}, T ${(36 + random() * 1.5).toFixed(1)} C, SpO2 ${int(92, 100)}% RA.`,
      `Labs: HbA1c ${(5 + random() * 4).toFixed(1)}%, creatinine ${(0.6 + random()).toFixed(2)} mg/dL, potassium ${(3.5 + random()).toFixed(1)} mmol/L.`,
      '',
      `Assessment and Plan: ${problems[0]}, stable. Continue ${meds[0][0]}. No evidence of ${pick(SYMPTOMS)}.`,
    ];
    let text = parts.join('\n');
    while (text.split(/\s+/).length < target) {
      text += ` ${pick(FILLER)}`;
    }
    notes.push(`${text}\n`);
  }
  return notes;
}
