/**
 * The gold answer of one annotated clinical note (`clinical-notes-gold/<split>/gold/<id>.json`), as defined by
 * the corpus' GUIDELINES.md. Pure: parses untrusted JSON into typed entries and says which field is wrong.
 */

/** Condition assertions used by the gold. */
export type GoldAssertion = 'affirmed' | 'negated' | 'possible' | 'historical' | 'family' | 'hypothetical';
/** MedicationStatement statuses used by the gold. */
export type GoldMedicationStatus = 'active' | 'stopped' | 'intended' | 'not-taken' | 'on-hold' | 'completed';

interface GoldBase {
  readonly text: string;
  /** Borderline: neither a miss when absent nor a false positive when written. */
  readonly optional: boolean;
}
export interface GoldCondition extends GoldBase {
  readonly icd10cm: readonly string[];
  readonly snomed: readonly string[];
  readonly assertion: GoldAssertion;
  readonly assertionAlternatives: readonly GoldAssertion[];
  readonly relative?: string;
}
export interface GoldProcedure extends GoldBase {
  readonly snomed: readonly string[];
  readonly icd10cm: readonly string[];
}
export interface GoldMedication extends GoldBase {
  readonly rxnorm: readonly string[];
  readonly status: GoldMedicationStatus;
  readonly statusAlternatives: readonly GoldMedicationStatus[];
}
export interface GoldObservation extends GoldBase {
  readonly loinc: readonly string[];
  /** A number; a string (a ratio such as "20/60") only on optional entries, which are not scored on value. */
  readonly value: number | string;
  readonly valueHigh?: number;
  /** UCUM unit as written; null when the note gives none. */
  readonly unit: string | null;
  readonly comparator?: '<' | '>' | '<=' | '>=';
}
export interface GoldAllergy extends GoldBase {
  readonly rxnorm: readonly string[];
  readonly snomed: readonly string[];
}
export interface GoldNote {
  readonly id: string;
  readonly source?: string;
  readonly noteType?: string;
  readonly conditions: readonly GoldCondition[];
  readonly procedures: readonly GoldProcedure[];
  readonly medications: readonly GoldMedication[];
  readonly observations: readonly GoldObservation[];
  readonly allergies: readonly GoldAllergy[];
}

/** A gold file that does not follow the schema: names the file and the field, never the note's text. */
export class GoldFormatError extends Error {
  constructor(id: string, field: string) {
    super(`gold ${id}: ${field} does not follow GUIDELINES.md`);
    this.name = 'GoldFormatError';
  }
}

type Json = Record<string, unknown>;

const ASSERTIONS: readonly GoldAssertion[] = ['affirmed', 'negated', 'possible', 'historical', 'family', 'hypothetical'];
const STATUSES: readonly GoldMedicationStatus[] = ['active', 'stopped', 'intended', 'not-taken', 'on-hold', 'completed'];
const COMPARATORS = ['<', '>', '<=', '>='] as const;

/**
 * Parses a gold file.
 * @param id - the note id (file name without extension).
 * @param json - the parsed JSON.
 * @returns the typed gold answer.
 */
export function parseGoldNote(id: string, json: unknown): GoldNote {
  if (!isObject(json)) throw new GoldFormatError(id, 'the file');
  const list = (field: string): Json[] => {
    const v = json[field];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every(isObject)) throw new GoldFormatError(id, field);
    return v as Json[];
  };
  const base = (e: Json, field: string): GoldBase => {
    if (typeof e.text !== 'string') throw new GoldFormatError(id, `${field}[].text`);
    return { text: e.text, optional: e.optional === true };
  };
  const codes = (e: Json, key: string, field: string): string[] => {
    const v = e[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((c) => typeof c === 'string')) throw new GoldFormatError(id, `${field}[].${key}`);
    return v as string[];
  };
  const oneOf = <T extends string>(v: unknown, allowed: readonly T[], field: string): T => {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new GoldFormatError(id, field);
    return v as T;
  };
  const manyOf = <T extends string>(v: unknown, allowed: readonly T[], field: string): T[] =>
    v === undefined ? [] : Array.isArray(v) ? v.map((x) => oneOf(x, allowed, field)) : [oneOf(v, allowed, field)];
  return {
    id,
    ...(typeof json.source === 'string' ? { source: json.source } : {}),
    ...(typeof json.note_type === 'string' ? { noteType: json.note_type } : {}),
    conditions: list('conditions').map((e) => ({
      ...base(e, 'conditions'),
      icd10cm: codes(e, 'icd10cm', 'conditions'),
      snomed: codes(e, 'snomed', 'conditions'),
      assertion: oneOf(e.assertion, ASSERTIONS, 'conditions[].assertion'),
      assertionAlternatives: manyOf(e.assertion_alternatives, ASSERTIONS, 'conditions[].assertion_alternatives'),
      ...(typeof e.relative === 'string' ? { relative: e.relative } : {}),
    })),
    procedures: list('procedures').map((e) => ({
      ...base(e, 'procedures'),
      snomed: codes(e, 'snomed', 'procedures'),
      icd10cm: codes(e, 'icd10cm', 'procedures'),
    })),
    medications: list('medications').map((e) => ({
      ...base(e, 'medications'),
      rxnorm: codes(e, 'rxnorm', 'medications'),
      status: oneOf(e.status, STATUSES, 'medications[].status'),
      statusAlternatives: manyOf(e.status_alternatives, STATUSES, 'medications[].status_alternatives'),
    })),
    observations: list('observations').map((e) => {
      const b = base(e, 'observations');
      if (typeof e.value !== 'number' && !(typeof e.value === 'string' && b.optional)) throw new GoldFormatError(id, 'observations[].value');
      if (e.unit !== null && e.unit !== undefined && typeof e.unit !== 'string') throw new GoldFormatError(id, 'observations[].unit');
      return {
        ...b,
        loinc: codes(e, 'loinc', 'observations'),
        value: e.value as number | string,
        ...(typeof e.value_high === 'number' ? { valueHigh: e.value_high } : {}),
        unit: typeof e.unit === 'string' ? e.unit : null,
        ...(e.comparator !== undefined && e.comparator !== null ? { comparator: oneOf(e.comparator, COMPARATORS, 'observations[].comparator') } : {}),
      };
    }),
    allergies: list('allergies').map((e) => ({
      ...base(e, 'allergies'),
      rxnorm: codes(e, 'rxnorm', 'allergies'),
      snomed: codes(e, 'snomed', 'allergies'),
    })),
  };
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
