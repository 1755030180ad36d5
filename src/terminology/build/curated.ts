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
  const counts: CuratedCounts = { ingredients: 0, brands: 0, synonyms: 0, abbreviations: 0, ambiguous: 0, blocked: 0, contextRules: 0 };
  for (const [brand, ingredients] of await readTsv(join(dir, 'brands.tsv'))) {
    const cuis = ingredients.split('+');
    for (const cui of cuis) requireConcept(b, `rx:${cui}`, 'brands.tsv');
    // A combination brand (Percocet) has no single ingredient: only single-ingredient brands become terms.
    if (cuis.length !== 1) continue;
    b.addTerm(`rx:${cuis[0]}`, brand, { priority: PRIORITY.curated, flags: POSTING_FLAGS.noFuzzy });
    counts.brands++;
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
