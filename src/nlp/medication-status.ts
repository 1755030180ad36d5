/**
 * Medication status from the cue words around a drug (start/started, stop/discontinue/d/c, hold, continue, not
 * taking) and from its section (medication lists are active, plans intended). Pure.
 */
import type { MedicationStatus, SectionKind, Span } from './types.js';

/** Status cues before a drug name (nearest wins), with the status they signal. */
const CUES_BEFORE: ReadonlyArray<readonly [RegExp, MedicationStatus]> = [
  [/\b(?:not\s+(?:been\s+)?taking|isn't\s+taking|has\s+not\s+taken|never\s+(?:took|taken)|ran\s+out\s+of|refuses|refused|noncompliant\s+with|non-compliant\s+with|not\s+on|no\s+longer\s+(?:on|taking))\b/gi, 'not-taken'],
  [/\b(?:stop|stopped|stopping|discontinue|discontinued|discontinuing|d\/c|d\/c'd|dc|dc'd|dced|cease|ceased|off|taken\s+off)\b/gi, 'stopped'],
  [/\b(?:hold|held|holding)\b/gi, 'on-hold'],
  [/\b(?:was\s+started|were\s+started|started|has\s+been\s+on|been\s+on|continue|continued|continuing|resumed|restarted|cont|remains?\s+on|maintained\s+on|on|taking|takes|currently\s+on|uses|using|increase|increased|decrease|decreased)\b/gi, 'active'],
  [/\b(?:was\s+given|were\s+given|given|received|administered|got|finished|completed)\b/gi, 'completed'],
  [/\b(?:discharged\s+(?:home\s+)?with|sent\s+home\s+with|(?:a\s+)?prescription\s+for|rx\s+for|start|starting|resume|restart|begin|initiate|add|will\s+start|plan\s+to\s+start|trial\s+of|prescribe|prescribed|recommend|recommended|consider|will\s+try|try|switch\s+to|change\s+to)\b/gi, 'intended'],
];
/** Status cues after the drug and its sig ("lisinopril was held"). */
const CUES_AFTER: ReadonlyArray<readonly [RegExp, MedicationStatus]> = [
  [/^[\s,;:>\-\u2013\u2014]*(?:was|were|is|has\s+been|have\s+been|will\s+be|to\s+be)?\s*(?:discontinued|stopped|d\/c'd|dc'd|dced)\b/i, 'stopped'],
  [/^[\s,;:>\-\u2013\u2014]*(?:was|were|is|has\s+been|will\s+be|to\s+be)?\s*(?:held|on\s+hold|hold)\b/i, 'on-hold'],
  [/^[\s,;:(\-\u2013\u2014]*(?:(?:pt\s+|patient\s+)?(?:not\s+taking|isn't\s+taking|has\s+not\s+(?:been\s+)?tak(?:en|ing)|ran\s+out|never\s+(?:took|taken|started)|not\s+started))\b/i, 'not-taken'],
  [/^[\s,]*(?:will\s+be|to\s+be)\s+(?:started|used|prescribed)\b/i, 'intended'],
  [/^[\s,]*(?:was|were|has\s+been)\s+(?:started|resumed|restarted)\b/i, 'active'],
  [/^[\s,]*(?:continued|to\s+continue|will\s+be\s+continued|(?:was\s+|were\s+|is\s+)?(?:increased|decreased|reduced|titrated))\b/i, 'active'],
  [/^[\s,;:\-\u2013\u2014]*(?:(?:x\s?1|once|chewed|now|today|load(?:ing\s+dose)?)[\s,;:\-\u2013\u2014]+)*(?:was|were|has\s+been)?\s*(?:given|administered|completed|finished)\b(?!\s+(?:samples?|a\s+prescription|rx))/i, 'completed'],
];

/** A reconciliation decision later on a list item that starts with the drug: "-> Held", "-> STOP", "DISCONTINUED". */
const ITEM_DECISIONS: ReadonlyArray<readonly [RegExp, MedicationStatus]> = [
  [/(?:->|\u2192|=>)\s*(?:(?:both|all|will\s+be|to\s+be|was|were|is)\s+)?(?:held|hold|holding)\b|\b(?:HELD|HOLD)\b/i, 'on-hold'],
  [/(?:->|\u2192|=>)\s*(?:(?:both|all|will\s+be|to\s+be|was|were|is)\s+)?(?:stop|stopped|discontinue|discontinued|d\/c|d\/c'd)\b|\b(?:STOP|STOPPED|DISCONTINUED?)\b/i, 'stopped'],
];

/**
 * The decision of a medication-reconciliation list item ("9. Metformin 1000 mg BID - taking. -> Held while
 * inpatient"), which may stand sentences after the drug on the same line; only for a drug that opens the item.
 * The first decision on the line wins ("-> Both held inpatient. Recommend d/c at discharge" is on-hold).
 */
function listItemDecision(text: string, drug: Span, sigEnd: number): MedicationStatus | undefined {
  const lineStart = text.lastIndexOf('\n', drug.start - 1) + 1;
  if (!/^\s*(?:\d{1,2}[.)]|[-*\u2022])?\s*$/.test(text.slice(lineStart, drug.start))) return undefined;
  const nl = text.indexOf('\n', sigEnd);
  const rest = text.slice(sigEnd, nl < 0 ? text.length : nl);
  let best: { status: MedicationStatus; at: number } | undefined;
  for (const [re, status] of ITEM_DECISIONS) {
    const m = re.exec(rest);
    if (m && (!best || m.index < best.at)) best = { status, at: m.index };
  }
  return best?.status;
}

/** A sig with a recurring frequency (daily, BID, q8h, qHS, weekly). */
const RECURRING_SIG_RE = /\b(?:daily|q\.?d\.?|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q\s?\d+\s?h|qhs|qam|qpm|nightly|weekly|every\s+\d*\s*(?:hours?|days?|weeks?))\b/i;

/** How far before a drug a status cue may stand, in characters. */
const CUE_WINDOW_CHARS = 60;

/**
 * Decides a medication's status from cue words around it and its section.
 * @param text - the note text.
 * @param sentence - the sentence the drug is in.
 * @param drug - the drug name's span.
 * @param sigEnd - end of the drug's sig (or of the name when there is none).
 * @param section - the section kind, if any.
 * @param negated - whether ConText negated the drug ("no aspirin").
 * @returns the status.
 */
export function detectMedicationStatus(
  text: string,
  sentence: Span,
  drug: Span,
  sigEnd: number,
  section: SectionKind | undefined,
  negated: boolean
): MedicationStatus {
  return detectMedicationStatusWithCue(text, sentence, drug, sigEnd, section, negated).status;
}

/**
 * As {@link detectMedicationStatus}, saying also whether the status was stated (a cue word, a negation, a discharge
 * medication list) rather than a default (a medication list, a plan, a dose alone): consolidation lets a stated
 * status outweigh a later default ("held for AKI" in the hospital course, then the pre-admission list).
 */
export function detectMedicationStatusWithCue(
  text: string,
  sentence: Span,
  drug: Span,
  sigEnd: number,
  section: SectionKind | undefined,
  negated: boolean
): { status: MedicationStatus; cued: boolean } {
  const decided = listItemDecision(text, drug, sigEnd);
  if (decided) return { status: decided, cued: true };
  const after = text.slice(sigEnd, Math.min(sentence.end, sigEnd + 40));
  for (const [re, status] of CUES_AFTER) {
    if (!re.test(after)) continue;
    // a dose of a scheduled drug given ("enoxaparin 40 mg daily - given 0900") is an ongoing drug, not a one-off
    if (status === 'completed' && RECURRING_SIG_RE.test(text.slice(drug.end, sigEnd))) return { status: 'active', cued: true };
    return { status, cued: true };
  }
  const windowStart = Math.max(sentence.start, drug.start - CUE_WINDOW_CHARS);
  let before = text.slice(windowStart, drug.start);
  const cut = Math.max(before.lastIndexOf(';'), before.lastIndexOf('.'), before.lastIndexOf(')'));
  if (cut >= 0) before = before.slice(cut + 1);
  let best: { status: MedicationStatus; at: number } | undefined;
  for (const [re, status] of CUES_BEFORE) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(before)) !== null) {
      const at = m.index + m[0].length;
      if (!best || at > best.at) best = { status, at };
    }
  }
  if (best) return { status: best.status, cued: true };
  if (negated) return { status: 'not-taken', cued: true };
  if (section === 'discharge-medications') return { status: 'active', cued: true };
  if (section === 'medications') return { status: 'active', cued: false };
  if (section === 'plan' || section === 'assessment-and-plan') return { status: 'intended', cued: false };
  // A drug written with its dose or frequency and no cue ("Lisinopril 10 mg daily.") is a medication the patient takes.
  if (sigEnd > drug.end) return { status: 'active', cued: false };
  return { status: 'unknown', cued: false };
}

/** Words between a negation and a drug that end the negation's reach over the drug ("no flare, continue allopurinol"). */
const NEGATION_BREAK_RE = /[();\n]|\b(?:despite|but|continue[sd]?|continuing|resumed?|restarted?|increased?|decreased?|started)\b/i;

/**
 * Whether ConText's negation of a drug holds: a negation after the drug ("Symlin, not taking") or over its name
 * holds; one before it holds only when no parenthesis, semicolon, line break or status word stands between them —
 * "(not taking - ran out), omeprazole 20 mg", "No VTE prophylaxis needed (on apixaban)", "no BM despite senna" and
 * "no flare, continue allopurinol" leave the drug taken.
 * @param text - the note text.
 * @param drug - the drug name's span.
 * @param triggers - the ConText triggers that decided the drug's attributes.
 * @returns false when every negation trigger is cut off from the drug.
 */
export function medicationNegationHolds(
  text: string,
  drug: Span,
  triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[]
): boolean {
  return triggerHolds(text, drug, triggers, 'negated', NEGATION_BREAK_RE);
}

/**
 * Whether ConText's historical temporality of a drug holds: a historical cue in a list's header ("Meds prior to
 * admission: ..., lisinopril 10 mg daily") or cut off by a semicolon or line break does not make the
 * listed drug a past one; a cue after the drug or over its name holds.
 * @param text - the note text.
 * @param drug - the drug name's span.
 * @param triggers - the ConText triggers that decided the drug's attributes.
 * @returns false when every historical trigger is cut off from the drug.
 */
export function medicationHistoricalHolds(
  text: string,
  drug: Span,
  triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[]
): boolean {
  return triggerHolds(text, drug, triggers, 'historical', /[:;\n]/);
}

/** A category's triggers hold unless every one of them ends before the drug and `breakRe` cuts it off from it. */
function triggerHolds(
  text: string,
  drug: Span,
  triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[],
  category: string,
  breakRe: RegExp
): boolean {
  const cues = triggers.filter((t) => t.category === category);
  if (cues.length === 0) return true;
  return cues.some((t) => t.end > drug.start || !breakRe.test(text.slice(t.end, drug.start)));
}
