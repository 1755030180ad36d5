/**
 * One builder per derived resource type. Pure. The assertion → FHIR mapping they implement is the table in
 * README.md ("Assertions → FHIR"); change both together.
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
import type { AllergyMention, MeasurementMention, MedicationMention, ProblemMention, RouteCode, SectionKind } from '../nlp/types.js';
import {
  CONDITION_CATEGORY,
  CONDITION_CLINICAL,
  CONDITION_VER_STATUS,
  OBSERVATION_CATEGORY,
  SNOMED,
  UCUM,
  V3_OBSERVATION_INTERPRETATION,
  V3_ROLE_CODE,
} from '../terminology/systems.js';
import type { BuildContext } from './map-findings.js';
import { FINDING_IDENTIFIER_SYSTEM } from './naming.js';

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

/** Condition for a problem the patient has (affirmed / possible / historical) or does not have (negated). */
export function buildCondition(key: string, mentions: readonly ProblemMention[], ctx: BuildContext): Condition {
  const first = mentions[0];
  const common = ctx.common(key, mentions);
  const encounterDiagnosis = ctx.note.encounter && mentions.some((m) => ENCOUNTER_DIAGNOSIS_SECTIONS.has(m.section));
  const verification =
    first.assertion === 'negated'
      ? codeable(CONDITION_VER_STATUS, 'refuted', 'Refuted')
      : first.assertion === 'possible'
        ? codeable(CONDITION_VER_STATUS, 'provisional', 'Provisional')
        : ctx.options.verificationAffirmed === 'unconfirmed'
          ? codeable(CONDITION_VER_STATUS, 'unconfirmed', 'Unconfirmed')
          : codeable(CONDITION_VER_STATUS, 'confirmed', 'Confirmed');
  // Only affirmed and possible problems are said to be present now; a negated one is refuted and a historical one
  // says nothing the text supports about the present, so neither gets a clinical status.
  const active = first.assertion === 'affirmed' || first.assertion === 'possible' || first.assertion === 'hypothetical';
  return {
    resourceType: 'Condition',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    ...(active ? { clinicalStatus: codeable(CONDITION_CLINICAL, 'active', 'Active') } : {}),
    verificationStatus: verification,
    category: [
      encounterDiagnosis
        ? codeable(CONDITION_CATEGORY, 'encounter-diagnosis', 'Encounter Diagnosis')
        : codeable(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item'),
    ],
    code: ctx.toCodeableConcept(first.concept, first.span),
    subject: ctx.note.subject as Condition['subject'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...(ctx.note.date ? { recordedDate: ctx.note.date } : {}),
    evidence: [{ detail: [documentRef(ctx)] }],
  };
}

/** FamilyMemberHistory for one relative, with every condition the note attributes to them. */
export function buildFamilyMemberHistory(
  key: string,
  mentions: readonly ProblemMention[],
  ctx: BuildContext
): FamilyMemberHistory {
  const relative = mentions[0].relative ?? 'FAMMEMB';
  const common = ctx.common(key, mentions);
  const conditions = new Map<string, FamilyMemberHistory['condition']>();
  for (const m of mentions) {
    const code = ctx.toCodeableConcept(m.concept, m.span);
    const k = JSON.stringify(code);
    if (!conditions.has(k)) conditions.set(k, [{ code }]);
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

/** MedicationStatement for a drug in one status, with each distinct dosage the note gives. */
export function buildMedicationStatement(
  key: string,
  mentions: readonly MedicationMention[],
  ctx: BuildContext
): MedicationStatement {
  const first = mentions[0];
  const common = ctx.common(key, mentions);
  const status = first.assertion === 'negated' ? 'not-taken' : first.status;
  const dosages = new Map<string, Dosage>();
  for (const m of mentions) {
    const dosage = toDosage(m, ctx.text);
    if (dosage) dosages.set(JSON.stringify(dosage), dosage);
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

function toDosage(m: MedicationMention, text: string): Dosage | undefined {
  const sig = m.sig;
  const dosage: Dosage = {};
  if (sig.span) dosage.text = text.slice(sig.span.start, sig.span.end).replace(/\s+/g, ' ').trim();
  if (sig.timing) {
    const { code, ...repeat } = sig.timing;
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

/** Observation for one measurement: vital signs (blood pressure as a panel with components) or a lab result. */
export function buildObservation(key: string, m: MeasurementMention, ctx: BuildContext): Observation | undefined {
  if (!m.concept) return undefined;
  const common = ctx.common(key, [m]);
  const components: ObservationComponent[] | undefined = m.components?.map((c) => ({
    code: ctx.toCodeableConcept(c.concept, c.span),
    valueQuantity: toQuantity(c.value, c.unit),
  }));
  const category = m.category === 'vital-signs' ? ['vital-signs', 'Vital Signs'] : ['laboratory', 'Laboratory'];
  const interpretation = m.interpretation ? INTERPRETATIONS[m.interpretation] : undefined;
  return {
    resourceType: 'Observation',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    status: 'final',
    category: [codeable(OBSERVATION_CATEGORY, category[0], category[1])],
    code: ctx.toCodeableConcept(m.concept, m.span),
    subject: ctx.note.subject as Observation['subject'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...(ctx.note.date ? { effectiveDateTime: ctx.note.date } : {}),
    ...(m.value !== undefined && m.unit !== undefined ? { valueQuantity: toQuantity(m.value, m.unit) } : {}),
    ...(interpretation ? { interpretation: [codeable(V3_OBSERVATION_INTERPRETATION, interpretation[0], interpretation[1])] } : {}),
    ...(components && components.length > 0 ? { component: components } : {}),
    derivedFrom: [documentRef(ctx)],
  };
}

const INTERPRETATIONS: Record<string, [string, string]> = {
  H: ['H', 'High'],
  L: ['L', 'Low'],
  HH: ['HH', 'Critical high'],
  LL: ['LL', 'Critical low'],
  A: ['A', 'Abnormal'],
  N: ['N', 'Normal'],
};

/** AllergyIntolerance for a substance, with the reaction when the note states one. */
export function buildAllergyIntolerance(
  key: string,
  mentions: readonly AllergyMention[],
  ctx: BuildContext
): AllergyIntolerance {
  const first = mentions[0];
  const common = ctx.common(key, mentions);
  const refuted = first.assertion === 'negated';
  const reactions = mentions
    .filter((m) => m.reaction)
    .map((m) => ({ manifestation: [ctx.toCodeableConcept(m.reaction?.concept, m.reaction?.span ?? m.span)] }));
  return {
    resourceType: 'AllergyIntolerance',
    meta: common.meta,
    extension: common.extension,
    identifier: identifierOf(common.identifier),
    ...(refuted ? {} : { clinicalStatus: codeable(ALLERGY_CLINICAL, 'active', 'Active') }),
    verificationStatus: refuted
      ? codeable(ALLERGY_VERIFICATION, 'refuted', 'Refuted')
      : codeable(ALLERGY_VERIFICATION, 'confirmed', 'Confirmed'),
    code: ctx.toCodeableConcept(first.concept, first.span),
    patient: ctx.note.subject as AllergyIntolerance['patient'],
    ...(ctx.note.encounter ? { encounter: ctx.note.encounter } : {}),
    ...(ctx.note.date ? { recordedDate: ctx.note.date } : {}),
    ...(reactions.length > 0 ? { reaction: reactions } : {}),
  };
}

function toQuantity(value: number, unit: string): Quantity {
  return { value, unit, system: UCUM, code: unit };
}
