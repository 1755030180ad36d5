/**
 * Synthetic notes in the layouts the rule stages must survive: MTSamples-style inline headers, typed notes with
 * bullets and wrapped lines, SOAP, a discharge summary with numbered lists, a radiology report, CRLF line endings,
 * tabs and non-ASCII characters, and degenerate inputs. Written for Chartmine; no real patient data.
 */

/** One fixture note. */
export interface FixtureNote {
  readonly id: string;
  readonly layout: string;
  readonly text: string;
}

export const FIXTURE_NOTES: readonly FixtureNote[] = [
  {
    id: 'inline-headers',
    layout: 'transcribed note with inline capital headers (MTSamples style)',
    text:
      'CHIEF COMPLAINT:,  Chest pain.,HISTORY OF PRESENT ILLNESS:,  This 58-year-old man with HTN and DM2 presents with CP ' +
      'and SOB for two days.  He denies fever, chills or cough.  He is not taking his aspirin.,PAST MEDICAL HISTORY:, ' +
      'Hypertension, type 2 diabetes, MI in 2015.,MEDICATIONS: , Metformin 500 mg p.o. b.i.d., lisinopril 10 mg daily.,' +
      'ALLERGIES: , Penicillin causes hives.,FAMILY HISTORY:, Mother with breast cancer.  Father had a stroke at 70.,' +
      'SOCIAL HISTORY:, Quit smoking in 2001.,PHYSICAL EXAMINATION:,VITAL SIGNS:  Blood pressure 151/93, pulse 77, ' +
      'respirations 16, temperature 98.6 F, O2 sat 97% on room air.,HEENT:  Normal.,LUNGS:  Clear.,ASSESSMENT:,  Chest ' +
      'pain, rule out MI.,PLAN:,1.  Start atorvastatin 40 mg p.o. at bedtime.,2.  Hold lisinopril.,3.  Return if chest ' +
      'pain recurs.',
  },
  {
    id: 'typed-bullets',
    layout: 'typed note, line headers, bullets, wrapped lines',
    text: [
      'HPI: 47 yo F with a history of asthma and GERD presents with 3 days of productive cough and',
      'fevers to 101.5. No chest pain, no shortness of breath. Dr. Smith saw her last week.',
      '',
      'Meds:',
      '- Albuterol 2 puffs inhaled q4-6h prn wheezing',
      '- Omeprazole 20 mg PO daily',
      '- Ibuprofen 400 mg PO q6-8h prn pain',
      '',
      'Allergies: NKDA',
      '',
      'Vitals: T 38.4 C, BP 118/76, HR 104, RR 20, SpO2 95% RA, Wt 68 kg, Ht 165 cm, BMI 25.0',
      '',
      'Labs: WBC 14.2 (H), Hgb 12.9, Plt 310, Na 137, K 3.4 L, Cr 0.8, glucose 112 mg/dL',
      '',
      'A/P:',
      '1. Community acquired pneumonia - start amoxicillin 1 g PO TID x 7 days.',
      '2. Asthma - continue albuterol.',
    ].join('\n'),
  },
  {
    id: 'soap-crlf',
    layout: 'SOAP note with CRLF line endings and tabs',
    text: [
      'S:\tPt reports intermittent headaches x 2 weeks, worse in the morning.',
      '\tDenies vision changes, nausea or vomiting.',
      'O:\tBP 162/98 mmHg\tP 88\tT 36.9 C',
      'A:\tHypertension, poorly controlled.',
      'P:\tIncrease lisinopril to 20 mg daily. Recheck BP in 2 weeks.',
    ].join('\r\n'),
  },
  {
    id: 'discharge-summary',
    layout: 'discharge summary with numbered lists and a discharge medication list',
    text: [
      'DISCHARGE SUMMARY',
      '',
      'ADMISSION DIAGNOSIS:',
      '1. Congestive heart failure exacerbation.',
      '2. Atrial fibrillation with rapid ventricular response.',
      '',
      'HOSPITAL COURSE:',
      'The patient was diuresed with IV furosemide and her dyspnea on exertion improved. Metoprolol was',
      'titrated. Warfarin was held for a supratherapeutic INR of 4.2.',
      '',
      'DISCHARGE MEDICATIONS:',
      '1. Furosemide 40 mg p.o. daily.',
      '2. Metoprolol succinate 50 mg p.o. daily.',
      '3. Warfarin 2.5 mg p.o. q.h.s.',
      '',
      'DISCHARGE INSTRUCTIONS:',
      'Call your doctor if you develop chest pain, shortness of breath or swelling of the legs.',
      'Weigh yourself daily; call if weight increases by more than 3 lb.',
    ].join('\n'),
  },
  {
    id: 'radiology',
    layout: 'radiology report',
    text:
      'EXAMINATION: CT chest with contrast.\nCLINICAL HISTORY: Shortness of breath, r/o PE.\n\nFINDINGS: No evidence ' +
      'of pulmonary embolism. No pleural effusion. There is no change in the 4 mm nodule in the right upper lobe. ' +
      'Mild emphysema.\n\nIMPRESSION:\n1. No pulmonary embolism.\n2. Stable 4 mm right upper lobe nodule.',
  },
  {
    id: 'unicode',
    layout: 'non-ASCII characters, degree signs, micro signs, bullets, emoji',
    text:
      'Vitals • Temp 37.8 °C • HR 96 • SpO₂ 94 %\nMeds: levothyroxine 75 µg PO daily; vitamin D 1000 IU daily 🙂\n' +
      'Plan: Café-au-lait macules noted — no neurofibromas. Naïve to biologics.',
  },
  {
    id: 'no-headers',
    layout: 'a single paragraph with no headers',
    text:
      'Patient seen for follow-up of type 2 diabetes. A1c 7.9% (H). She takes metformin 1000 mg twice daily and ' +
      'reports no hypoglycemia. Her mother and sister have diabetes. Will add empagliflozin 10 mg daily.',
  },
  { id: 'empty', layout: 'empty note', text: '' },
  { id: 'whitespace', layout: 'whitespace only', text: ' \n\t\r\n  ' },
  { id: 'punctuation', layout: 'punctuation only', text: '...,;:--//\n***\n' },
  {
    id: 'long-line',
    layout: 'one very long line without sentence breaks',
    text: Array.from({ length: 400 }, (_, i) => `item ${i} no fever, BP 12${i % 10}/8${i % 10}`).join(', '),
  },
];
