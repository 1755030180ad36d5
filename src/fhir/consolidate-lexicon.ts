/**
 * Data of the consolidation stage (consolidate.ts): which conditions are episodic (a past mention means it is over)
 * and which words say a condition resolved. Everything else coded in ICD-10-CM counts as chronic: listed in a past
 * medical history, or as "history of", it still describes the patient (GUIDELINES of the clinical-notes corpus:
 * "PMH: HTN, DM2 → affirmed"; "h/o DVT in 2015, completed anticoagulation" → historical).
 */

/**
 * ICD-10-CM code prefixes (no dot) of episodic conditions: infections (A, B except chronic viral hepatitis B18 and
 * HIV B20), acute cardiovascular events, acute respiratory illness, acute abdominal and renal events, skin
 * infections, pregnancy and perinatal conditions, injuries and poisonings, symptoms and signs (R), acute metabolic
 * derangements, and personal-history Z-codes.
 */
export const EPISODIC_ICD10CM_PREFIXES: readonly string[] = [
  // infections
  ...['A', 'B0', 'B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9'].flatMap((p) => (p === 'B1' ? ['B15', 'B16', 'B17', 'B19'] : p === 'B2' ? ['B21', 'B22', 'B23', 'B24', 'B25', 'B26', 'B27', 'B28', 'B29'] : [p])),
  // acute cardiovascular and cerebrovascular events
  'I21', 'I22', 'I23', 'I24', 'I26', 'I30', 'I33', 'I40', 'I46', 'I60', 'I61', 'I62', 'I63', 'I80', 'I81', 'I82', 'G45',
  // acute respiratory
  'J0', 'J10', 'J11', 'J12', 'J13', 'J14', 'J15', 'J16', 'J17', 'J18', 'J20', 'J21', 'J22', 'J441', 'J80', 'J93', 'J960',
  // acute abdominal, hepatic and renal events
  'K25', 'K26', 'K27', 'K28', 'K35', 'K36', 'K37', 'K56', 'K57', 'K65', 'K72', 'K80', 'K81', 'K85', 'K92', 'N10', 'N17', 'N20', 'N30', 'N390',
  // skin infections, acute metabolic and neurological derangements
  'L02', 'L03', 'E16', 'E86', 'E87', 'G934',
  // pregnancy, perinatal, injuries, poisonings, external causes
  'O', 'P', 'S', 'T', 'V', 'W', 'X', 'Y',
  // symptoms, signs and abnormal findings
  'R',
  // personal history of…
  'Z85', 'Z86', 'Z87', 'Z92', 'Z98',
];

/** Words in the sentence that say a condition the note places in the past is over. */
export const RESOLUTION_CUE_RE =
  /\b(?:resolved|resolution\s+of|healed|in\s+remission|remission|formerly|former|quit|ex-smoker|childhood|as\s+a\s+(?:child|teenager)|remote|no\s+longer|cured|outgrew|prior\s+episodes?)\b/i;
