/**
 * Adds the curated lists in `models/terminology/curated/` (written for Chartmine): RxNorm ingredients, brand names,
 * synonyms, abbreviations, ambiguous abbreviations, context rules and refinements. Curated entries only add wording
 * and maps to codes that exist in the shipped sources; a curated code that is missing fails the build.
 */
import { join } from 'node:path';
import { ICD10CM, RXNORM } from '../systems.js';
import { POSTING_FLAGS } from '../index-format.js';
import type { IndexBuilder } from './index-builder.js';
import { PRIORITY } from './index-builder.js';
import { readTsv } from './read-files.js';
import type { IcdTable } from './default-sources.js';
import { icdVariants } from './default-sources.js';

/** Thrown when a curated list refers to a code the sources do not have. */
export class CuratedListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CuratedListError';
  }
}

/** Counts of what the curated lists added. */
export interface CuratedCounts {
  ingredients: number;
  brands: number;
  combinations: number;
  /** Findings stated together that are coded apart ("N/V" → nausea, vomiting). */
  compounds: number;
  substances: number;
  synonyms: number;
  abbreviations: number;
  ambiguous: number;
  blocked: number;
  contextRules: number;
}

function requireConcept(b: IndexBuilder, id: string, file: string): void {
  if (!b.has(id)) throw new CuratedListError(`${file}: ${id} is not in the shipped sources`);
}

/**
 * Adds RxNorm ingredients (they are curated: the open sources give clinical drugs, not ingredients).
 * @param b - the builder.
 * @param dir - the curated folder.
 * @returns the ingredient name keys → concept id, for drug → ingredient maps.
 */
export async function addIngredients(b: IndexBuilder, dir: string): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  for (const [cui, name, synonyms] of await readTsv(join(dir, 'ingredients.tsv'))) {
    const id = `rx:${cui}`;
    b.addConcept({ id, group: 'medication', display: name, codings: [{ system: RXNORM, code: cui, display: name }] });
    b.setGroup(id, 'medication');
    for (const term of [name, ...(synonyms ? synonyms.split('|') : [])]) {
      const key = b.addTerm(id, term, { priority: PRIORITY.curated });
      if (key !== '' && !byName.has(key)) byName.set(key, id);
    }
  }
  return byName;
}

/**
 * Adds the remaining curated lists.
 * @param b - the builder.
 * @param dir - the curated folder.
 * @returns counts per list.
 */
export async function addCuratedLists(b: IndexBuilder, dir: string): Promise<CuratedCounts> {
  const counts: CuratedCounts = {
    ingredients: 0,
    brands: 0,
    combinations: 0,
    compounds: 0,
    substances: await addSubstances(b, dir),
    synonyms: 0,
    abbreviations: 0,
    ambiguous: 0,
    blocked: 0,
    contextRules: 0,
  };
  for (const [brand, ingredients] of await readTsv(join(dir, 'brands.tsv'))) {
    const ids = ingredients.split('+').map(drugId);
    for (const id of ids) requireConcept(b, id, 'brands.tsv');
    if (ids.length === 1) {
      b.addTerm(ids[0], brand, { priority: PRIORITY.curated, flags: POSTING_FLAGS.noFuzzy });
      counts.brands++;
    } else {
      addCombination(b, brand, ids);
      counts.combinations++;
    }
  }
  for (const [ref, parts, synonyms] of await readTsv(join(dir, 'compounds.tsv'))) {
    const ids = parts.split('+').map(drugId);
    for (const id of ids) requireConcept(b, id, 'compounds.tsv');
    let id = ref;
    if (!ref.includes(':')) {
      id = `combo:${slugOf(ref)}`;
      const first = b.get(ids[0]);
      b.addConcept({ id, group: first?.group ?? 'finding', display: ref, codings: [] });
    }
    requireConcept(b, id, 'compounds.tsv');
    b.setComponents(id, ids);
    for (const term of [...(ref.includes(':') ? [] : [ref]), ...(synonyms ? synonyms.split('|') : [])]) {
      b.addTerm(id, term, { priority: PRIORITY.curated });
    }
    counts.compounds++;
  }
  for (const [system, code, synonyms] of await readTsv(join(dir, 'synonyms.tsv'))) {
    const id = `${system}:${code}`;
    requireConcept(b, id, 'synonyms.tsv');
    for (const s of synonyms.split('|')) {
      b.addTerm(id, s, { priority: PRIORITY.curated });
      counts.synonyms++;
    }
  }
  for (const [abbreviation, system, code, casing] of await readTsv(join(dir, 'abbreviations.tsv'))) {
    const id = `${system}:${code}`;
    requireConcept(b, id, 'abbreviations.tsv');
    const flags =
      POSTING_FLAGS.abbreviation | POSTING_FLAGS.noFuzzy | (casing === 'upper' ? POSTING_FLAGS.upperOnly : 0);
    b.addTerm(id, abbreviation, { priority: PRIORITY.curated, flags });
    counts.abbreviations++;
  }
  for (const [abbreviation] of await readTsv(join(dir, 'ambiguous.tsv'))) {
    b.blockTerm(abbreviation);
    counts.ambiguous++;
  }
  for (const [term] of await readTsv(join(dir, 'blocked-terms.tsv'))) {
    b.blockTerm(term);
    counts.blocked++;
  }
  for (const [term, mode, words] of await readTsv(join(dir, 'context-rules.tsv'))) {
    if (mode !== 'require-before' && mode !== 'block-before' && mode !== 'block-after') {
      throw new CuratedListError(`context-rules.tsv: unknown mode for ${term}`);
    }
    b.addContextRule(term, mode, words.split('|'));
    counts.contextRules++;
  }
  return counts;
}

/**
 * The concept id a drug reference in a curated list names: a bare number is an RxNorm ingredient (`6809`), otherwise
 * an index id (`txt:sacubitril`, a row of `substances.tsv`).
 * @param ref - the reference.
 * @returns the concept id.
 */
export function drugId(ref: string): string {
  const r = ref.trim();
  return /^\d+$/.test(r) ? `rx:${r}` : r;
}

/**
 * The id part of a name-only concept: lower case, runs of other characters as one hyphen (`Lactated Ringer's
 * solution` → `lactated-ringer-s-solution`).
 * @param name - the name.
 * @returns the slug.
 */
export function slugOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Adds a combination product (a brand with several ingredients) as a concept without a coding of its own whose
 * `components` are the ingredient concepts; the pipeline writes one MedicationStatement per component. Coded
 * ingredients are also listed as the concept's ingredient codings.
 * @param b - the builder.
 * @param name - the product name as written (Percocet).
 * @param ids - the ingredient concept ids.
 */
export function addCombination(b: IndexBuilder, name: string, ids: readonly string[]): void {
  const id = `combo:${slugOf(name)}`;
  const parts = ids.map((i) => b.get(i)).filter((c) => c !== undefined);
  b.addConcept({
    id,
    group: 'medication',
    display: `${name} (${parts.map((c) => c.display).join(' / ')})`,
    codings: [],
    ingredients: parts.flatMap((c) => c.codings.slice(0, 1)),
    components: ids,
  });
  b.addTerm(id, name, { priority: PRIORITY.curated, flags: POSTING_FLAGS.noFuzzy });
}

/**
 * Adds `substances.tsv`: drugs, supplements and allergens that have no RxNorm ingredient code in the curated list.
 * Each row is a name-only concept (`txt:<name>`) written with its name in `code.text`, rather than dropped; where
 * the shipped SNOMED CT content (the IPS Free Set's substances: iron, albumin, fish oil) has the substance or a
 * broader one, that SNOMED CT code is its coding.
 * @param b - the builder.
 * @param dir - the curated folder.
 * @returns the number of rows.
 */
export async function addSubstances(b: IndexBuilder, dir: string): Promise<number> {
  let n = 0;
  for (const [name, synonyms, group, snomed] of await readTsv(join(dir, 'substances.tsv'))) {
    if (group !== 'medication' && group !== 'allergen') throw new CuratedListError(`substances.tsv: group ${group} for ${name}`);
    const id = `txt:${slugOf(name)}`;
    const codings = [];
    if (snomed) {
      const coded = b.get(`sct:${snomed}`);
      if (!coded) throw new CuratedListError(`substances.tsv: sct:${snomed} is not in the shipped sources`);
      codings.push(coded.codings[0]);
    }
    if (b.has(id)) throw new CuratedListError(`substances.tsv: ${name} is listed twice`);
    b.addConcept({ id, group, display: name, codings });
    for (const term of [name, ...(synonyms ? synonyms.split('|') : [])]) {
      b.addTerm(id, term, { priority: PRIORITY.curated });
    }
    n++;
  }
  return n;
}

/**
 * Gives a refined variant the wording of its ICD-10-CM code, so text that says "type 2 diabetes mellitus with
 * hyperglycemia" codes to the variant (SNOMED CT + E11.65), not to the ICD-10-CM-only concept.
 * @param b - the builder.
 * @param variantId - the variant.
 * @param description - the ICD-10-CM description.
 */
export function addTargetTerms(b: IndexBuilder, variantId: string, description: string): void {
  for (const v of icdVariants(description)) b.addTerm(variantId, v, { priority: PRIORITY.snomed });
}

/**
 * Adds curated ICD-10-CM refinements as variant concepts (`sct:44054006~E11.65`).
 * @param b - the builder.
 * @param dir - the curated folder.
 * @param icd - the ICD-10-CM table.
 * @returns the number of refinements.
 */
export async function addRefinements(b: IndexBuilder, dir: string, icd: IcdTable): Promise<number> {
  let n = 0;
  for (const [snomed, kind, words, icdCode] of await readTsv(join(dir, 'refinements.tsv'))) {
    const baseId = `sct:${snomed}`;
    requireConcept(b, baseId, 'refinements.tsv');
    const entry = icd.entries.get(icdCode);
    if (!entry?.billable) throw new CuratedListError(`refinements.tsv: ${icdCode} is not a billable ICD-10-CM code`);
    if (kind !== 'laterality' && kind !== 'qualifier') throw new CuratedListError(`refinements.tsv: kind ${kind}`);
    const base = b.get(baseId);
    if (!base) continue;
    const variantId = `${baseId}~${icdCode}`;
    b.addConcept({
      id: variantId,
      group: base.group,
      display: base.display,
      codings: [
        ...base.codings.filter((c) => c.system !== ICD10CM),
        { system: ICD10CM, code: icdCode, display: entry.description },
      ],
      base: baseId,
    });
    b.addRefinement(baseId, kind, words.split('|'), variantId);
    addTargetTerms(b, variantId, entry.description);
    n++;
  }
  return n;
}
