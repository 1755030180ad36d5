/**
 * Procedures: which coded procedure concepts are the patient's surgeries and interventions, whether the text says
 * they were done or are planned, and when ("s/p CABG x3 2009", "PSH: appendectomy, TKA R 2021", "plan: colonoscopy").
 * Pure: regular expressions over the text around a mention, inside its sentence.
 */
import type { Concept } from '../terminology/types.js';
import type { ContextAttributes, ProcedureStatus, ProcedureTime, SectionKind, Span } from './types.js';

/**
 * Procedure concepts that are not a surgery or intervention a coder records as the patient's procedure: vaccine
 * administrations (vaccines are their own resource), visits and care activities ("Follow-up visit", "Medication
 * reconciliation", "Review of systems", "Scheduling", "Discharge from hospital"), regimes ("Therapy", "Exercises",
 * "Pain management"), specimen tests ("Urine culture": results are Observations), objects ("Face mask") and the
 * generic words for a step of care ("Incision", "Infusion", "Intubation", "Biopsy", "Endoscopy") that notes use for
 * what happens now, not for a procedure the patient had. Tested on the display of the concept.
 */
const NOT_A_PROCEDURE = new RegExp(
  [
    String.raw`^(?:administration of|vaccination|immunization)\b`,
    String.raw`^(?:procedure|surgical procedure|operation|surgery|treatment|therapy|exercises?|incision|infusion|intubation|biopsy|endoscopy|injection|chemotherapy|radiotherapy|pain management|palliative care|wound care|dressing)(?: \(.*\))?$`,
    String.raw`\b(?:visit|encounter|review of systems|examination|scheduling|reconciliation|culture|discharge|admission|consultation|counseling|counselling|education|referral|screening|assessment|evaluation|monitoring|history taking|interview|care plan|management|prescription)\b`,
    String.raw`\((?:physical object|regime\/therapy|observable entity|environment|qualifier value)\)`,
  ].join('|'),
  'i'
);

/** Regimes that are a coder's procedure despite the `regime/therapy` tag (the patient is on CPAP, on dialysis). */
const REGIMES_KEPT = /\b(?:positive airway pressure|dialysis|oxygen therapy|ventilation)\b/i;

/**
 * Whether a concept of the index's `procedure` group becomes a procedure mention.
 * @param concept - the concept.
 * @returns true for surgeries and interventions.
 */
export function isProcedureConcept(concept: Concept): boolean {
  return concept.group === 'procedure' && (!NOT_A_PROCEDURE.test(concept.display) || REGIMES_KEPT.test(concept.display));
}

/** How far after the procedure its date or time phrase may start, in UTF-16 code units ("CABG x3 in 2009"). */
const TIME_WINDOW = 40;

/** Laterality, counts and filler that may stand between a procedure and its date: "TKA R 2021", "CABG x3 2009". */
const FILLER = String.raw`(?:[\s,(:\-]|\bx\s?\d\b|\b(?:r|l|rt|lt|right|left|bilat|bilateral|b\/l)\b|\b(?:in|on|at|from|circa|around|done|performed|dated?)\b)*`;
const DATE_AFTER = new RegExp(
  String.raw`^${FILLER}((?:((?:19|20)\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?|(0?[1-9]|1[0-2])\/(0?[1-9]|[12]\d|3[01])\/((?:19|20)\d\d)|(0?[1-9]|1[0-2])\/((?:19|20)\d\d)|((?:19|20)\d\d))\b)(?![\s-]*(?:mg|mcg|g|units?|ml|%|\d))`,
  'i'
);
const PHRASE_AFTER = new RegExp(
  String.raw`^${FILLER}(as\s+an?\s+(?:child|teen(?:ager)?|infant|baby|kid|adolescent)|in\s+(?:childhood|infancy|adolescence)|(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a\s+few)\s+(?:days?|weeks?|wks?|months?|mos?|years?|yrs?)\s+ago|(?:at\s+)?age\s+\d{1,3}|last\s+(?:week|month|year)|POD\s*#?\s*\d+)`,
  'i'
);

/**
 * The time written right after a procedure, inside its sentence: a date normalised to FHIR (`2009`, `2033-04`,
 * `2007-08-27`) or a phrase kept as written ("as a child", "two months ago").
 * @param text - the note text.
 * @param span - the procedure mention.
 * @param sentence - its sentence.
 * @returns the time, or undefined.
 */
export function findProcedureTime(text: string, span: Span, sentence: Span): ProcedureTime | undefined {
  const end = Math.min(sentence.end, span.end + TIME_WINDOW);
  if (end <= span.end) return undefined;
  const after = text.slice(span.end, end);
  const date = DATE_AFTER.exec(after);
  if (date) {
    const [whole, written, isoYear, isoMonth, isoDay, mdyMonth, mdyDay, mdyYear, myMonth, myYear, year] = date;
    const value = isoYear
      ? [isoYear, isoMonth, isoDay].filter(Boolean).join('-')
      : mdyYear
        ? `${mdyYear}-${pad(mdyMonth)}-${pad(mdyDay)}`
        : myYear
          ? `${myYear}-${pad(myMonth)}`
          : year;
    const start = span.end + whole.length - written.length;
    return { kind: 'date', value, span: { start, end: start + written.length } };
  }
  const phrase = PHRASE_AFTER.exec(after);
  if (phrase) {
    const start = span.end + phrase[0].length - phrase[1].length;
    return { kind: 'phrase', span: { start, end: start + phrase[1].length } };
  }
  return undefined;
}

function pad(n: string): string {
  return n.length === 1 ? `0${n}` : n;
}

/** Sections whose procedures are plans unless the sentence places them in the past ("s/p"). */
const PLAN_SECTIONS: ReadonlySet<SectionKind | undefined> = new Set<SectionKind | undefined>(['plan']);

/** A planning cue before the procedure in its sentence: "plan: EGD", "scheduled for TKA", "will need PICC". */
const PLAN_BEFORE = /\b(?:plan(?:ned|s|ning)?|scheduled|schedule|will\s+(?:need|undergo|have|get|schedule|arrange|proceed\s+with|do|obtain|order|refer)|to\s+undergo|referr?(?:ed|al)?\s+(?:to|for)|recommend(?:ed|s|ation)?|pending|consider(?:ing)?|candidate\s+for|awaiting|await|needs?|request(?:ed)?|order(?:ed)?|arrange(?:d)?|book(?:ed)?)\b[^.;\n]*$/i;
/** A planning cue right after it: "colonoscopy scheduled", "PICC to be placed", "EGD in 3 months". */
const PLAN_AFTER = /^[^.;\n]{0,30}?\b(?:planned|scheduled|pending|ordered|recommended|requested|to\s+be\s+\w+|tomorrow|next\s+(?:week|month|year)|in\s+(?:\d+|one|two|three|six)\s+(?:days?|weeks?|months?|years?))\b/i;
/** What places it in the past even in a plan ("s/p", "prior", "history of", "underwent"). */
const PAST_BEFORE = /\b(?:s\/p|status\s+post|h\/o|hx\s+of|history\s+of|prior|previous|underwent|had\s+(?:an?\s+)?|post[- ]?op(?:erative)?|recent)\b[^.;\n]*$/i;

/**
 * Whether the text places a procedure in the past or in a plan.
 * @param text - the note text.
 * @param span - the procedure mention.
 * @param sentence - its sentence.
 * @param section - its section kind.
 * @param attrs - ConText's decision for it (historical temporality: done).
 * @returns the status.
 */
export function detectProcedureStatus(
  text: string,
  span: Span,
  sentence: Span,
  section: SectionKind | undefined,
  attrs: ContextAttributes
): ProcedureStatus {
  const before = text.slice(sentence.start, span.start);
  const after = text.slice(span.end, sentence.end);
  if (attrs.temporality === 'historical' || PAST_BEFORE.test(before)) return 'completed';
  if (PLAN_BEFORE.test(before) || PLAN_AFTER.test(after) || PLAN_SECTIONS.has(section)) return 'planned';
  return 'completed';
}
