/**
 * Scores one note's output (the transaction Bundle) against its gold answer, per GUIDELINES.md "Scoring". Pure.
 *
 * Per category, each required gold entry is a true positive when some written item matches it (one item per entry:
 * several items for one entry count once, the others are false positives), a miss otherwise; optional entries are
 * neither. Conditions: `family` entries are scored as family history (FamilyMemberHistory with the relative);
 * required `hypothetical` entries must not be written — a Condition matching one is a false positive and is counted
 * as "hypothetical written" — and are never misses. A Condition left over that carries a gold procedure's Z-code
 * is scored under procedures (and is neither a hit nor a false positive when a Procedure already took the entry).
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { GoldCondition, GoldMedication, GoldNote } from './notes-gold.js';
import {
  allergyMatches,
  assignMatches,
  conditionMatchesLenient,
  conditionMatchesStrict,
  familyMatches,
  medicationMatches,
  observationMatches,
  procedureMatches,
} from './notes-match.js';
import { toWrittenItems, type NoteCategory, type WrittenItem } from './notes-written.js';

/** Counts of one category in one note (or summed over notes). */
export interface CategoryCounts {
  tp: number;
  fp: number;
  fn: number;
  /** Written items of the category. */
  written: number;
  /** Required gold entries of the category. */
  required: number;
}

/** A required gold entry nobody wrote. */
export interface Miss {
  readonly category: NoteCategory;
  readonly gold: string;
}
/** A written item that matches no gold entry (or duplicates a matched one). */
export interface FalsePositive {
  readonly category: NoteCategory;
  readonly item: WrittenItem;
  /** Why: `no gold entry`, `duplicate`, `hypothetical`. */
  readonly reason: 'no gold entry' | 'duplicate' | 'hypothetical';
}
/** A matched condition (assertion) or medication (status) whose value is compared. */
export interface Judged {
  readonly gold: string;
  readonly expected: string;
  readonly accepted: readonly string[];
  readonly written: string;
  readonly correct: boolean;
  readonly item: WrittenItem;
}

/** The score of one note. */
export interface NoteScore {
  readonly id: string;
  readonly counts: Record<NoteCategory | 'conditions (lenient)', CategoryCounts>;
  readonly assertions: readonly Judged[];
  readonly statuses: readonly Judged[];
  /** Conditions written for required hypothetical gold entries. */
  readonly hypotheticalWritten: number;
  readonly misses: readonly Miss[];
  readonly falsePositives: readonly FalsePositive[];
}

const emptyCounts = (): CategoryCounts => ({ tp: 0, fp: 0, fn: 0, written: 0, required: 0 });

/**
 * Scores a note.
 * @param gold - the gold answer.
 * @param bundle - what the pipeline wrote.
 * @returns counts, judged assertions and statuses, misses and false positives.
 */
export function scoreNote(gold: GoldNote, bundle: Bundle): NoteScore {
  const items = toWrittenItems(bundle);
  const indexesOf = (type: WrittenItem['resourceType']): number[] => items.flatMap((it, i) => (it.resourceType === type ? [i] : []));
  const counts = {
    conditions: emptyCounts(),
    'conditions (lenient)': emptyCounts(),
    procedures: emptyCounts(),
    medications: emptyCounts(),
    observations: emptyCounts(),
    allergies: emptyCounts(),
    'family history': emptyCounts(),
  };
  const misses: Miss[] = [];
  const falsePositives: FalsePositive[] = [];

  // Conditions, strict (the headline) and lenient.
  const patient = gold.conditions.filter((c) => c.assertion !== 'family');
  const conditionIdx = indexesOf('Condition');
  const strict = scoreConditions(patient, items, conditionIdx, conditionMatchesStrict);
  const lenient = scoreConditions(patient, items, conditionIdx, conditionMatchesLenient);
  const assertions: Judged[] = strict.matched.map(([g, wi]) => judge(describeCondition(g), g.assertion, g.assertionAlternatives, items[wi].assertion ?? '', items[wi]));

  // Procedures: Procedure resources, and the Conditions left over by the strict pass that carry a gold Z-code.
  const procedureGold = gold.procedures;
  const zConditions = strict.leftover.filter((i) => procedureGold.some((g) => procedureMatches(g, items[i])));
  const procedureIdx = indexesOf('Procedure');
  const proc = scoreCategory(procedureGold, items, [...procedureIdx, ...zConditions], procedureMatches);
  const procFp = proc.leftover.filter((i) => items[i].resourceType === 'Procedure');
  Object.assign(counts.procedures, { tp: proc.matched.length, fn: proc.missed.length, fp: procFp.length, written: procedureIdx.length, required: procedureGold.filter((g) => !g.optional).length });
  proc.missed.forEach((g) => misses.push({ category: 'procedures', gold: `${g.text} [${[...g.snomed, ...g.icd10cm].join(' ')}]` }));
  procFp.forEach((i) => falsePositives.push({ category: 'procedures', item: items[i], reason: reasonOf(i, proc.duplicates) }));

  const zSet = new Set(zConditions);
  const fillConditions = (c: CategoryCounts, s: ConditionScore): number[] => {
    const fp = s.leftover.filter((i) => !zSet.has(i) && !procedureGold.some((g) => procedureMatches(g, items[i])));
    Object.assign(c, { tp: s.matched.length, fn: s.missed.length, fp: fp.length + s.hypothetical.length, written: conditionIdx.length, required: s.required });
    return fp;
  };
  const strictFp = fillConditions(counts.conditions, strict);
  fillConditions(counts['conditions (lenient)'], lenient);
  strict.missed.forEach((g) => misses.push({ category: 'conditions', gold: describeCondition(g) }));
  strictFp.forEach((i) => falsePositives.push({ category: 'conditions', item: items[i], reason: reasonOf(i, strict.duplicates) }));
  strict.hypothetical.forEach((i) => falsePositives.push({ category: 'conditions', item: items[i], reason: 'hypothetical' }));

  // Medications, observations, allergies, family history.
  const meds = scoreCategory(gold.medications, items, indexesOf('MedicationStatement'), medicationMatches, (g, w) => statusOk(g, w.status));
  const statuses = meds.matched.map(([g, wi]) => judge(`${g.text} [${g.rxnorm.join(' ')}]`, g.status, g.statusAlternatives, items[wi].status ?? '', items[wi]));
  const family = gold.conditions.filter((c) => c.assertion === 'family');
  const fill = <G extends { readonly optional: boolean }>(
    category: Exclude<NoteCategory, 'conditions' | 'procedures'>,
    s: CategoryScore<G>,
    type: WrittenItem['resourceType'],
    gold: readonly G[],
    describe: (g: G) => string
  ): void => {
    Object.assign(counts[category], { tp: s.matched.length, fn: s.missed.length, fp: s.leftover.length, written: indexesOf(type).length, required: gold.filter((g) => !g.optional).length });
    s.missed.forEach((g) => misses.push({ category, gold: describe(g) }));
    s.leftover.forEach((i) => falsePositives.push({ category, item: items[i], reason: reasonOf(i, s.duplicates) }));
  };
  fill('medications', meds, 'MedicationStatement', gold.medications, (g) => `${g.text} [${g.rxnorm.join(' ')}] ${g.status}`);
  fill('observations', scoreCategory(gold.observations, items, indexesOf('Observation'), observationMatches), 'Observation', gold.observations, (g) =>
    `${g.text} [${g.loinc.join(' ')}] ${g.comparator ?? ''}${String(g.value)}${g.valueHigh !== undefined ? `-${g.valueHigh}` : ''} ${g.unit ?? '(no unit)'}`);
  fill('allergies', scoreCategory(gold.allergies, items, indexesOf('AllergyIntolerance'), allergyMatches), 'AllergyIntolerance', gold.allergies, (g) =>
    `${g.text} [${[...g.rxnorm, ...g.snomed].join(' ')}]`);
  fill('family history', scoreCategory(family, items, indexesOf('FamilyMemberHistory'), familyMatches), 'FamilyMemberHistory', family, (g) =>
    `${g.relative ?? 'family member'}: ${describeCondition(g)}`);
  return { id: gold.id, counts, assertions, statuses, hypotheticalWritten: strict.hypothetical.length, misses, falsePositives };
}

interface CategoryScore<G> {
  /** [gold entry, written item index] of matched required entries. */
  readonly matched: ReadonlyArray<readonly [G, number]>;
  readonly missed: readonly G[];
  /** Written items matched to nothing (false positives unless said otherwise). */
  readonly leftover: readonly number[];
  /** Leftover items that match an entry another item took. */
  readonly duplicates: ReadonlySet<number>;
}
interface ConditionScore extends CategoryScore<GoldCondition> {
  /** Written items matching only a required hypothetical entry. */
  readonly hypothetical: readonly number[];
  readonly required: number;
}

/**
 * One assignment over the entries in priority order — required first, then optional, then `forbidden` (entries that
 * must not be written): an entry once matched stays matched, so required entries get the most matches possible and
 * later groups only take what is left (reassigning earlier matches where that frees an item).
 */
function scoreCategory<G extends { readonly optional: boolean }>(
  gold: readonly G[],
  items: readonly WrittenItem[],
  indexes: readonly number[],
  matches: (g: G, w: WrittenItem) => boolean,
  preferred?: (g: G, w: WrittenItem) => boolean,
  forbidden: readonly G[] = []
): CategoryScore<G> & { readonly forbiddenMatched: readonly number[] } {
  const required = gold.filter((g) => !g.optional);
  const optional = gold.filter((g) => g.optional);
  const ordered = [...required, ...optional, ...forbidden];
  const assigned = assignMatches(ordered, items, new Set(indexes), matches, preferred);
  const used = new Set(assigned.filter((wi) => wi >= 0));
  const leftover = indexes.filter((i) => !used.has(i)).sort((a, b) => a - b);
  const all = [...gold, ...forbidden];
  return {
    matched: required.flatMap((g, i) => (assigned[i] >= 0 ? [[g, assigned[i]] as const] : [])),
    missed: required.filter((_, i) => assigned[i] < 0),
    leftover,
    duplicates: new Set(leftover.filter((i) => all.some((g) => matches(g, items[i])))),
    forbiddenMatched: assigned.slice(required.length + optional.length).filter((wi) => wi >= 0),
  };
}

function scoreConditions(
  gold: readonly GoldCondition[],
  items: readonly WrittenItem[],
  indexes: readonly number[],
  matches: (g: GoldCondition, w: WrittenItem) => boolean
): ConditionScore {
  const isForbidden = (g: GoldCondition): boolean => g.assertion === 'hypothetical' && !g.optional;
  const scored = gold.filter((g) => !isForbidden(g));
  const assertionOk = (g: GoldCondition, w: WrittenItem): boolean => [g.assertion, ...g.assertionAlternatives].includes(w.assertion as GoldCondition['assertion']);
  const base = scoreCategory(scored, items, indexes, matches, assertionOk, gold.filter(isForbidden));
  return { ...base, hypothetical: base.forbiddenMatched, required: scored.filter((g) => !g.optional).length };
}

function judge(gold: string, expected: string, alternatives: readonly string[], written: string, item: WrittenItem): Judged {
  const accepted = [expected, ...alternatives];
  return { gold, expected, accepted, written, correct: accepted.includes(written), item };
}

function statusOk(g: GoldMedication, status: string | undefined): boolean {
  return [g.status, ...g.statusAlternatives].includes(status as GoldMedication['status']);
}

function reasonOf(i: number, duplicates: ReadonlySet<number>): FalsePositive['reason'] {
  return duplicates.has(i) ? 'duplicate' : 'no gold entry';
}

function describeCondition(g: GoldCondition): string {
  return `${g.text} [${[...g.icd10cm, ...g.snomed].join(' ')}] ${g.assertion}`;
}
