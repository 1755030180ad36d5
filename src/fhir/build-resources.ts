/**
 * One builder per derived resource type. Pure. The assertion → FHIR mapping they implement is the table in
 * README.md ("What is written"), enforced by the invariants of the profiles in `profiles/`; change all three together.
 */
import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  DocumentReference,
  Dosage,
  FamilyMemberHistory,
  MedicationStatement,
  Observation,
  ObservationComponent,
  Quantity,
  Reference,
} from '@medplum/fhirtypes';
import type { AllergyMention, MeasurementMention, MedicationMention, MedicationSig, Mention, ProblemMention, RouteCode, SectionKind } from '../nlp/types.js';
import {
  CONDITION_CATEGORY,
  CONDITION_CLINICAL,
  CONDITION_VER_STATUS,
  LOINC,
  OBSERVATION_CATEGORY,
  RXNORM,
  SNOMED,
  UCUM,
  V3_OBSERVATION_INTERPRETATION,
  V3_ROLE_CODE,
} from '../terminology/systems.js';
import { medicationStatus, type BuildContext } from './build-context.js';
import { CORE_VITAL_SIGN_PROFILES, FINDING_IDENTIFIER_SYSTEM, PROFILES } from './naming.js';
import { findOnsetYear } from './onset.js';

/** US Core's category for problems outside the provider's problem list (symptoms, findings, text-only problems). */
const US_CORE_CONDITION_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';

const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

/** Sections whose problems are diagnoses of the encounter the note documents. */
const ENCOUNTER_DIAGNOSIS_SECTIONS: ReadonlySet<SectionKind | undefined> = new Set<SectionKind | undefined>([
  'assessment',
  'assessment-and-plan',
  'impression',
  'hospital-course',
]);

/** SNOMED CT route codes (qualifier values). */
const ROUTES: Record<RouteCode, { code: string; display: string } | undefined> = {
  oral: { code: '26643006', display: 'Oral route' },
  iv: { code: '47625008', display: 'Intravenous route' },
  subcutaneous: { code: '34206005', display: 'Subcutaneous route' },
  im: { code: '78421000', display: 'Intramuscular route' },
  inhaled: { code: '447694001', display: 'Respiratory tract route' },
  topical: { code: '6064005', display: 'Topical route' },
  rectal: { code: '37161004', display: 'Rectal route' },
  sublingual: { code: '37839007', display: 'Sublingual route' },
  other: undefined,
};

const RELATIVES: Record<string, string> = {
  MTH: 'mother',
  FTH: 'father',
  PRN: 'parent',
  SIS: 'sister',
  BRO: 'brother',
  SIB: 'sibling',
  DAU: 'daughter',
  SON: 'son',
  CHILD: 'child',
  GRMTH: 'grandmother',
  GRFTH: 'grandfather',
  GRPRN: 'grandparent',
  MGRMTH: 'maternal grandmother',
  MGRFTH: 'maternal grandfather',
  PGRMTH: 'paternal grandmother',
  PGRFTH: 'paternal grandfather',
  AUNT: 'aunt',
  UNCLE: 'uncle',
  COUSN: 'cousin',
  NIECE: 'niece',
  NEPHEW: 'nephew',
  FAMMEMB: 'family member',
};

function codeable(system: string, code: string, display: string): CodeableConcept {
  return { coding: [{ system, code, display }] };
}

function identifierOf(value: string): { system: string; value: string }[] {
  return [{ system: FINDING_IDENTIFIER_SYSTEM, value }];
}

function documentRef(ctx: BuildContext): Reference<DocumentReference> {
  return { reference: `DocumentReference/${ctx.note.id}` };
}

/**
 * Condition for a problem the note states about the patient. Statuses by assertion (README table):
 * affirmed → active + VERIFICATION_AFFIRMED; possible → active + provisional (differential when listed with other
 * possible problems); historical → VERIFICATION_AFFIRMED + HISTORICAL_CLINICAL_STATUS (none by default), unless the
 * note also affirms it (then it is part of the affirmed Condition); negated → refuted, no clinical status;
 * hypothetical (only with WRITE_HYPOTHETICAL) → unconfirmed, no clinical status. Onset: a year written next to a
 * mention ("MI in 2015").
 */
export function buildCondition(key: string, mentions: readonly ProblemMention[], ctx: BuildContext): Condition {
  const first = mentions[0];
  const assertion = ctx.assertionOf(key);
  const common = ctx.common(key, mentions, [PROFILES.condition], assertion);
  const verification =
    assertion === 'negated'
      ? codeable(CONDITION_VER_STATUS, 'refuted', 'Refuted')
      : assertion === 'possible'
        ? mentions.some((m) => ctx.inDifferential(m))
          ? codeable(CONDITION_VER_STATUS, 'differential', 'Differential')
          : codeable(CONDITION_VER_STATUS, 'provisional', 'Provisional')
        : assertion === 'hypothetical'
          ? codeable(CONDITION_VER_STATUS, 'unconfirmed', 'Unconfirmed')
          : ctx.options.verificationAffirmed === 'unconfirmed'
            ? codeable(CONDITION_VER_STATUS, 'unconfirmed', 'Unconfirmed')
            : codeable(CONDITION_VER_STATUS, 'confirmed', 'Confirmed');
  const clinical = clinicalStatusOf(assertion, ctx);
  const onset = assertion === 'negated' || assertion === 'hypothetical' ? undefined : onsetOf(mentions, ctx);
  return {
    resourceType: 'Condition',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    ...(clinical ? { clinicalStatus: clinical } : {}),
    verificationStatus: verification,
    category: [conditionCategory(assertion, mentions, ctx)],
    code: ctx.toCodeableConcept(first.concept, first.span),
    subject: ctx.note.subject as Condition['subject'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...(onset ? { onsetDateTime: onset } : {}),
    ...(ctx.note.date ? { recordedDate: ctx.note.date } : {}),
    evidence: [{ detail: [documentRef(ctx)] }],
  };
}

function clinicalStatusOf(assertion: Mention['assertion'], ctx: BuildContext): CodeableConcept | undefined {
  switch (assertion) {
    case 'affirmed':
    case 'possible':
      return codeable(CONDITION_CLINICAL, 'active', 'Active');
    case 'historical': {
      const status = ctx.options.historicalClinicalStatus;
      return status === 'unknown' ? undefined : codeable(CONDITION_CLINICAL, status, status.charAt(0).toUpperCase() + status.slice(1));
    }
    default:
      return undefined;
  }
}

/**
 * encounter-diagnosis: affirmed or possible problems in an assessment/impression section of a note tied to an
 * encounter; problem-list-item: other coded disorders; health-concern (US Core): symptoms, findings and problems
 * known only by their text, which a consumer's problem list should not fill up with.
 */
function conditionCategory(assertion: Mention['assertion'], mentions: readonly ProblemMention[], ctx: BuildContext): CodeableConcept {
  const diagnosis =
    ctx.note.encounter && (assertion === 'affirmed' || assertion === 'possible') && mentions.some((m) => ENCOUNTER_DIAGNOSIS_SECTIONS.has(m.section));
  if (diagnosis) return codeable(CONDITION_CATEGORY, 'encounter-diagnosis', 'Encounter Diagnosis');
  if (mentions[0].concept?.group === 'disorder') return codeable(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item');
  return codeable(US_CORE_CONDITION_CATEGORY, 'health-concern', 'Health Concern');
}

/** The earliest year written next to one of the mentions, not after the note's own year. */
function onsetOf(mentions: readonly ProblemMention[], ctx: BuildContext): string | undefined {
  const noteYear = ctx.note.date ? Number(ctx.note.date.slice(0, 4)) : undefined;
  const years = mentions
    .map((m) => findOnsetYear(ctx.text, m.span, ctx.sentenceOf(m)))
    .filter((y): y is number => y !== undefined && (noteYear === undefined || y <= noteYear));
  return years.length > 0 ? String(Math.min(...years)) : undefined;
}

/** FamilyMemberHistory for one relative, with every condition the note attributes to them. */
export function buildFamilyMemberHistory(
  key: string,
  mentions: readonly ProblemMention[],
  ctx: BuildContext
): FamilyMemberHistory {
  const relative = mentions[0].relative ?? 'FAMMEMB';
  const common = ctx.common(key, mentions, [PROFILES.familyMemberHistory], 'family');
  const conditions = new Map<string, FamilyMemberHistory['condition']>();
  for (const m of mentions) {
    const code = ctx.toCodeableConcept(m.concept, m.span);
    const k = JSON.stringify(code);
    const age = findOnsetAge(ctx.text, m.span, ctx.sentenceOf(m));
    const known = conditions.get(k);
    if (!known) conditions.set(k, [{ code, ...(age !== undefined ? { onsetAge: toAge(age) } : {}) }]);
    else if (age !== undefined && known[0] && !known[0].onsetAge) known[0] = { ...known[0], onsetAge: toAge(age) };
  }
  return {
    resourceType: 'FamilyMemberHistory',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    status: 'completed',
    patient: ctx.note.subject as FamilyMemberHistory['patient'],
    ...(ctx.note.date ? { date: ctx.note.date } : {}),
    relationship: codeable(V3_ROLE_CODE, relative, RELATIVES[relative] ?? 'family member'),
    condition: [...conditions.values()].flatMap((c) => c ?? []),
  };
}

/** How far after a relative's condition its age may be written, in UTF-16 code units ("colon ca dx at age 60"). */
const ONSET_AGE_WINDOW = 28;
/** "at 60", "at age 45", "dx age 60", "died at 70", "@ 52 y/o": an age, never a year or a dose. */
const ONSET_AGE_AFTER = /^[\s,(\-]*(?:(?:was\s+)?(?:dx'?d?|diagnosed|died|passed(?:\s+away)?|deceased|onset)\s+)?(?:(?:at|@)\s+(?:age\s+)?|age\s+)(\d{1,3})(?!\s*(?:%|mg|kg|\/|\.\d|s\b))\b/i;

/**
 * The age a relative had a condition at, written right after it in its sentence.
 * @param text - the note text.
 * @param span - the condition mention.
 * @param sentence - its sentence.
 * @returns the age in years, or undefined.
 */
export function findOnsetAge(text: string, span: { start: number; end: number }, sentence: { start: number; end: number }): number | undefined {
  const end = Math.min(sentence.end, span.end + ONSET_AGE_WINDOW);
  if (end <= span.end) return undefined;
  const match = ONSET_AGE_AFTER.exec(text.slice(span.end, end));
  const age = match ? Number(match[1]) : undefined;
  return age !== undefined && age > 0 && age < 120 ? age : undefined;
}

function toAge(years: number): NonNullable<NonNullable<FamilyMemberHistory['condition']>[number]['onsetAge']> {
  return { value: years, unit: 'a', system: UCUM, code: 'a' };
}

/** MedicationStatement for a drug in one status, with each distinct dosage the note gives. */
export function buildMedicationStatement(
  key: string,
  mentions: readonly MedicationMention[],
  ctx: BuildContext
): MedicationStatement {
  const first = mentions[0];
  const common = ctx.common(key, mentions, [PROFILES.medicationStatement]);
  const status = medicationStatus(first);
  const dosages = new Map<string, Dosage>();
  for (const m of mentions) {
    for (const dosage of toDosages(m, ctx.text)) dosages.set(JSON.stringify(dosage), dosage);
  }
  return {
    resourceType: 'MedicationStatement',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    status,
    medicationCodeableConcept: ctx.toCodeableConcept(first.concept, first.span),
    subject: ctx.note.subject as MedicationStatement['subject'],
    ...(ctx.note.encounter ? { context: ctx.note.encounter } : {}),
    ...(ctx.note.date ? { dateAsserted: ctx.note.date } : {}),
    derivedFrom: [documentRef(ctx)],
    ...(dosages.size > 0 ? { dosage: [...dosages.values()] } : {}),
  };
}

/**
 * The dosages of a mention's sig: one, or one per phase of a taper / "X then Y" sig, numbered with `sequence`
 * (1, 2, …: FHIR's "order in which the dosage instructions should be applied").
 */
function toDosages(m: MedicationMention, text: string): Dosage[] {
  const phases: MedicationSig[] = [];
  for (let phase: MedicationSig | undefined = m.sig; phase; phase = phase.then) phases.push(phase);
  const dosages = phases.flatMap((phase) => toDosage(phase, text) ?? []);
  return dosages.length > 1 ? dosages.map((d, i) => ({ sequence: i + 1, ...d })) : dosages;
}

function toDosage(sig: MedicationSig, text: string): Dosage | undefined {
  const dosage: Dosage = {};
  if (sig.span) dosage.text = text.slice(sig.span.start, sig.span.end).replace(/\s+/g, ' ').trim();
  if (sig.timing || sig.duration) {
    const { code, when, ...rest } = sig.timing ?? {};
    const repeat = {
      ...rest,
      ...(when && when.length > 0 ? { when: [...when] } : {}),
      ...(sig.duration ? { boundsDuration: toQuantity(sig.duration.value, sig.duration.unit) } : {}),
    };
    dosage.timing = {
      ...(Object.keys(repeat).length > 0 ? { repeat: repeat as NonNullable<Dosage['timing']>['repeat'] } : {}),
      ...(code ? { code: { text: code } } : {}),
    };
  }
  if (sig.asNeeded) {
    dosage.asNeededBoolean = true;
    if (sig.asNeededFor) {
      delete dosage.asNeededBoolean;
      dosage.asNeededCodeableConcept = {
        text: text.slice(sig.asNeededFor.start, sig.asNeededFor.end).replace(/\s+/g, ' ').trim(),
      };
    }
  }
  const route = sig.route ? ROUTES[sig.route] : undefined;
  if (route) dosage.route = { coding: [{ system: SNOMED, ...route }] };
  const dose = sig.dose ?? sig.strength;
  if (dose) dosage.doseAndRate = [{ doseQuantity: toQuantity(dose.value, dose.unit) }];
  return Object.keys(dosage).length > 0 ? dosage : undefined;
}

/**
 * Observation for one measurement the note reports: vital signs (blood pressure as a panel with components) or a
 * lab result. The time is the note's date, or — for a note without one precise to the day — when the server stored
 * the note version.
 */
export function buildObservation(
  key: string,
  m: MeasurementMention,
  ctx: BuildContext,
  mentions: readonly MeasurementMention[] = [m]
): Observation | undefined {
  if (!m.concept) return undefined;
  const vital = m.category === 'vital-signs';
  const code = ctx.toCodeableConcept(m.concept, m.span);
  const loinc = code.coding?.find((c) => c.system === LOINC)?.code;
  if (loinc === PULSE_OXIMETRY_LOINC && !code.coding?.some((c) => c.code === OXYGEN_SATURATION_LOINC)) {
    // FHIR's oxygensat profile (and US Core's pulse-oximetry one) want 2708-6 beside the pulse-oximetry code.
    code.coding = [...(code.coding ?? []), { system: LOINC, code: OXYGEN_SATURATION_LOINC, display: 'Oxygen saturation in Arterial blood' }];
  }
  const coreProfile = vital && loinc ? CORE_VITAL_SIGN_PROFILES[loinc] : undefined;
  const profiles = vital
    ? [PROFILES.vitalSigns, ...(coreProfile ? [coreProfile] : [])]
    : [m.category === 'laboratory' ? PROFILES.laboratory : PROFILES.measure];
  const common = ctx.common(key, mentions, profiles);
  const components: ObservationComponent[] | undefined = m.components?.map((c) => ({
    code: ctx.toCodeableConcept(c.concept, c.span),
    valueQuantity: toQuantity(c.value, c.unit),
  }));
  const category = CATEGORY_DISPLAYS[m.category];
  const interpretation = m.interpretation ? INTERPRETATIONS[m.interpretation] : undefined;
  const when = [ctx.note.date, ctx.note.lastUpdated].find((d) => d !== undefined && d.length >= 10);
  const effective = when ? { effectiveDateTime: when } : {};
  return {
    resourceType: 'Observation',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    status: 'final',
    category: [codeable(OBSERVATION_CATEGORY, category[0], category[1])],
    code,
    subject: ctx.note.subject as Observation['subject'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...effective,
    ...(m.value !== undefined && m.unit !== undefined && m.valueHigh === undefined
      ? { valueQuantity: toQuantity(m.value, m.unit, m.comparator, loinc === BODY_HEIGHT_LOINC) }
      : {}),
    ...(m.value !== undefined && m.unit !== undefined && m.valueHigh !== undefined
      ? { valueRange: { low: toQuantity(m.value, m.unit), high: toQuantity(m.valueHigh, m.unit) } }
      : {}),
    ...(interpretation ? { interpretation: [codeable(V3_OBSERVATION_INTERPRETATION, interpretation[0], interpretation[1])] } : {}),
    ...(components && components.length > 0 ? { component: components } : {}),
    derivedFrom: [documentRef(ctx)],
  };
}

const PULSE_OXIMETRY_LOINC = '59408-5';
const BODY_HEIGHT_LOINC = '8302-2';

/** observation-category code → [code, display]. */
const CATEGORY_DISPLAYS: Record<MeasurementMention['category'], [string, string]> = {
  'vital-signs': ['vital-signs', 'Vital Signs'],
  laboratory: ['laboratory', 'Laboratory'],
  survey: ['survey', 'Survey'],
  imaging: ['imaging', 'Imaging'],
  procedure: ['procedure', 'Procedure'],
};
const OXYGEN_SATURATION_LOINC = '2708-6';

const INTERPRETATIONS: Record<string, [string, string]> = {
  H: ['H', 'High'],
  L: ['L', 'Low'],
  HH: ['HH', 'Critical high'],
  LL: ['LL', 'Critical low'],
  A: ['A', 'Abnormal'],
  N: ['N', 'Normal'],
};

/**
 * AllergyIntolerance for a substance, with the reaction when the note states one. Stated or historical → active,
 * confirmed; possible → active, unconfirmed; negated → refuted and inactive (R4's ait-1 requires a clinical status
 * unless entered-in-error, and a disproven allergy is not active). Category medication when the substance is an
 * RxNorm drug.
 */
export function buildAllergyIntolerance(
  key: string,
  mentions: readonly AllergyMention[],
  ctx: BuildContext
): AllergyIntolerance {
  const first = mentions[0];
  const common = ctx.common(key, mentions, [PROFILES.allergyIntolerance]);
  const refuted = first.assertion === 'negated';
  const possible = first.assertion === 'possible';
  const reactions = mentions
    .filter((m) => m.reaction)
    .map((m) => ({ manifestation: [ctx.toCodeableConcept(m.reaction?.concept, m.reaction?.span ?? m.span)] }));
  const drug = first.concept?.codings.some((c) => c.system === RXNORM) ?? false;
  return {
    resourceType: 'AllergyIntolerance',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    clinicalStatus: refuted ? codeable(ALLERGY_CLINICAL, 'inactive', 'Inactive') : codeable(ALLERGY_CLINICAL, 'active', 'Active'),
    verificationStatus: refuted
      ? codeable(ALLERGY_VERIFICATION, 'refuted', 'Refuted')
      : possible
        ? codeable(ALLERGY_VERIFICATION, 'unconfirmed', 'Unconfirmed')
        : codeable(ALLERGY_VERIFICATION, 'confirmed', 'Confirmed'),
    ...(drug ? { category: ['medication' as const] } : {}),
    code: ctx.toCodeableConcept(first.concept, first.span),
    patient: ctx.note.subject as AllergyIntolerance['patient'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...(ctx.note.date ? { recordedDate: ctx.note.date } : {}),
    ...(!refuted && reactions.length > 0 ? { reaction: reactions } : {}),
  };
}

function toQuantity(value: number, unit: string, comparator?: Quantity['comparator'], height = false): Quantity {
  // Heights written in metres: FHIR's bodyheight profile binds its units to cm and [in_i].
  if (unit === 'm' && height) return { value: Math.round(value * 1000) / 10, unit: 'cm', system: UCUM, code: 'cm' };
  return { value, ...(comparator ? { comparator } : {}), unit, system: UCUM, code: unit };
}
