/**
 * Cross-maps built from open sources: SNOMED CT → ICD-10-CM (curated list, then exact lexical equality with an
 * ICD-10-CM description, then Disease Ontology CC0 cross-references), and RxNorm clinical drug → ingredient (by the
 * ingredient names RxNorm writes at the start of each clinical drug name).
 */
import { join } from 'node:path';
import { ICD10CM, RXNORM, SNOMED } from '../systems.js';
import { stripSemanticTag, termKey } from '../normalize.js';
import type { IcdEntry, IcdTable } from './default-sources.js';
import type { IndexBuilder } from './index-builder.js';
import { addTargetTerms, CuratedListError } from './curated.js';
import { assertFile, readTsv } from './read-files.js';
import { conditionVariants } from './synonym-rules.js';
import { PRIORITY } from './index-builder.js';

/** How many SNOMED CT concepts got an ICD-10-CM map, by source. */
export interface IcdMapCounts {
  curated: number;
  lexical: number;
  /** Maps through generated synonyms on both sides ("Malignant tumor of colon" ↔ "Malignant neoplasm of colon, unspecified"). */
  generated: number;
  diseaseOntology: number;
  conditionsWithout: number;
}

const CONDITION_GROUPS = new Set(['disorder', 'finding']);

const CATEGORY_CACHE = new WeakMap<IcdTable, Map<string, IcdEntry[]>>();

/** ICD-10-CM entries by three-character category (computed once per table). */
function byCategory(icd: IcdTable): Map<string, IcdEntry[]> {
  let m = CATEGORY_CACHE.get(icd);
  if (!m) {
    m = new Map();
    for (const e of icd.entries.values()) {
      const list = m.get(e.code.slice(0, 3));
      if (list) list.push(e);
      else m.set(e.code.slice(0, 3), [e]);
    }
    CATEGORY_CACHE.set(icd, m);
  }
  return m;
}

/**
 * The default billable code of an ICD-10-CM category: the single billable descendant that is "unspecified" or
 * "without complications" and names no other "with" qualifier.
 * @param icd - the table.
 * @param code - a code (returned as is when billable).
 * @returns the billable code, or undefined.
 */
export function billableDefault(icd: IcdTable, code: string): IcdEntry | undefined {
  const entry = icd.entries.get(code);
  if (!entry) return undefined;
  if (entry.billable) return entry;
  const candidates: IcdEntry[] = [];
  for (const e of byCategory(icd).get(code.slice(0, 3)) ?? []) {
    if (!e.billable || !e.code.startsWith(code)) continue;
    const d = e.description.toLowerCase();
    if (!/\bunspecified\b|without complications/.test(d)) continue;
    if (/\bwith\b/.test(d.replace(/without complications/g, ''))) continue;
    candidates.push(e);
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Adds ICD-10-CM codings to SNOMED CT condition concepts.
 * @param b - the builder.
 * @param icd - the ICD-10-CM table.
 * @param curatedDir - folder with `icd10cm-map.tsv`.
 * @param doDir - `shared/data/disease-ontology`.
 * @returns counts by source.
 */
export async function addIcdMaps(b: IndexBuilder, icd: IcdTable, curatedDir: string, doDir: string): Promise<IcdMapCounts> {
  const counts: IcdMapCounts = { curated: 0, lexical: 0, generated: 0, diseaseOntology: 0, conditionsWithout: 0 };
  const mapped = new Set<string>();
  const add = (id: string, entry: IcdEntry): void => {
    b.addCoding(id, { system: ICD10CM, code: entry.code, display: entry.description });
    mapped.add(id);
  };
  for (const [snomed, code] of await readTsv(join(curatedDir, 'icd10cm-map.tsv'))) {
    const id = `sct:${snomed}`;
    const entry = icd.entries.get(code);
    if (!b.has(id)) throw new CuratedListError(`icd10cm-map.tsv: ${id} is not in the shipped sources`);
    if (!entry?.billable) throw new CuratedListError(`icd10cm-map.tsv: ${code} is not a billable ICD-10-CM code`);
    add(id, entry);
    counts.curated++;
  }
  const conditions = [...b.conceptIds()].filter((id) => {
    const c = b.get(id);
    return id.startsWith('sct:') && !id.includes('~') && c !== undefined && CONDITION_GROUPS.has(c.group);
  });
  /** Maps each unmapped condition whose SNOMED CT names lead to exactly one ICD-10-CM code. */
  const mapUnambiguous = (codesFor: (name: string) => Iterable<string>, source: 'lexical' | 'generated'): void => {
    for (const id of conditions) {
      if (mapped.has(id)) continue;
      const c = b.get(id);
      if (!c) continue;
      const codes = new Set<string>();
      for (const coding of c.codings.filter((x) => x.system === SNOMED)) {
        for (const code of codesFor(stripSemanticTag(coding.display))) codes.add(code);
      }
      const only = codes.size === 1 ? icd.entries.get([...codes][0]) : undefined;
      if (only) {
        add(id, only);
        counts[source]++;
      }
    }
  };
  mapUnambiguous((name) => icd.codesByKey.get(termKey(name)) ?? [], 'lexical');
  mapUnambiguous(
    (name) =>
      conditionVariants(name).flatMap((v) => {
        const key = termKey(v);
        return [...(icd.codesByKey.get(key) ?? []), ...(icd.codesByGeneratedKey.get(key) ?? [])];
      }),
    'generated'
  );
  const doMaps = await readDiseaseOntologyMaps(doDir);
  for (const id of conditions) {
    if (mapped.has(id)) continue;
    const icdCodes = doMaps.get(id.slice(4));
    if (!icdCodes || icdCodes.size !== 1) continue;
    const entry = billableDefault(icd, [...icdCodes][0]);
    if (entry) {
      add(id, entry);
      counts.diseaseOntology++;
    }
  }
  counts.conditionsWithout = conditions.filter((id) => !mapped.has(id)).length;
  return counts;
}

/**
 * SNOMED CT code → ICD-10-CM codes via Disease Ontology terms that cross-reference both. A DO term whose SNOMED CT
 * or ICD-10-CM cross-reference is not unique is skipped: it is a grouping, not an equivalence.
 * @param dir - `shared/data/disease-ontology`.
 * @returns the map.
 */
export async function readDiseaseOntologyMaps(dir: string): Promise<Map<string, Set<string>>> {
  const path = join(dir, 'allXREFinDO.tsv');
  assertFile(path, 'Disease Ontology cross-references');
  const byDo = new Map<string, { snomed: Set<string>; icd: Set<string> }>();
  for (const [doid, , xref] of await readTsv(path, { header: true })) {
    const x = unquote(xref);
    const colon = x.indexOf(':');
    const source = x.slice(0, colon);
    const code = x.slice(colon + 1);
    const entry = byDo.get(unquote(doid)) ?? { snomed: new Set<string>(), icd: new Set<string>() };
    if (source.startsWith('SNOMEDCT_US')) entry.snomed.add(code);
    else if (source === 'ICD10CM') entry.icd.add(code.toUpperCase());
    else continue;
    byDo.set(unquote(doid), entry);
  }
  const out = new Map<string, Set<string>>();
  for (const { snomed, icd } of byDo.values()) {
    if (snomed.size !== 1 || icd.size !== 1) continue;
    const s = [...snomed][0];
    const set = out.get(s) ?? new Set<string>();
    for (const c of icd) set.add(c);
    out.set(s, set);
  }
  return out;
}

function unquote(s: string | undefined): string {
  return (s ?? '').replace(/^"|"$/g, '');
}

/**
 * Folds SNOMED CT condition concepts with the same name into the first one (sources are added best first): the
 * later code becomes an extra coding, so text with that name carries both codes. This happens when sources use an
 * inactive duplicate (Synthea's data codes "Prediabetes" 15777000, its modules 714628002). Both ids stay
 * reachable through `lookup`.
 * @param b - the builder.
 * @returns the number of codes folded.
 */
export function mergeDuplicateConditions(b: IndexBuilder): number {
  const firstByName = new Map<string, string>();
  let n = 0;
  for (const id of [...b.conceptIds()]) {
    const c = b.get(id);
    if (!c || !id.startsWith('sct:') || !CONDITION_GROUPS.has(c.group)) continue;
    const key = termKey(stripSemanticTag(c.display));
    const first = firstByName.get(key);
    if (first === undefined) {
      firstByName.set(key, id);
      continue;
    }
    b.addCoding(first, c.codings[0]);
    n++;
  }
  return n;
}

/**
 * Adds ingredient codings to RxNorm clinical drugs: each part of a drug name (split at ` / `, packs unwrapped) starts
 * with its ingredient; the longest known ingredient name (salt forms included) wins.
 * @param b - the builder.
 * @param ingredientByKey - ingredient name key → concept id.
 * @returns how many drugs got all their ingredients, and how many not.
 */
export function addDrugIngredients(
  b: IndexBuilder,
  ingredientByKey: ReadonlyMap<string, string>
): { mapped: number; unmapped: number } {
  let mapped = 0;
  let unmapped = 0;
  for (const id of [...b.conceptIds()]) {
    const c = b.get(id);
    if (!c || c.group !== 'clinical-drug' || !id.startsWith('rx:')) continue;
    const found = new Set<string>();
    let missing = false;
    for (const name of ingredientNames(c.display)) {
      const words = termKey(name).split(' ');
      let hit: string | undefined;
      for (let n = words.length; n > 0 && !hit; n--) hit = ingredientByKey.get(words.slice(0, n).join(' '));
      if (hit) found.add(hit);
      else missing = true;
    }
    for (const ingredientId of found) {
      const ing = b.get(ingredientId);
      if (ing) b.addIngredient(id, { system: RXNORM, code: ingredientId.slice(3), display: ing.display });
    }
    if (found.size > 0 && !missing) mapped++;
    else unmapped++;
  }
  return { mapped, unmapped };
}

/**
 * The ingredient parts of an RxNorm drug name: `1 ML epoetin alfa 4000 UNT/ML Injection [Epogen]` → `epoetin alfa`.
 * @param display - the drug name.
 * @returns one string per ingredient, in order.
 */
export function ingredientNames(display: string): string[] {
  const names: string[] = [];
  const body = display
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/[{}]/g, ' ')
    .replace(/\b\d+\s*\(/g, ' ')
    .replace(/\)/g, ' ');
  for (const part of body.split(/\s\/\s/)) {
    const text = part
      .trim()
      .replace(/^(?:NDA\d+\s+|Abuse-Deterrent\s+|Breath-Actuated\s+|\d+(?:\.\d+)?\s*(?:ML|HR|DAY|ACTUAT|MG|UNT|MCG)?\s+)+/i, '')
      .replace(/^(?:Pack|Inert Ingredients)\b.*/i, '');
    const m = /^(.*?)(?:\s+\d|\s+(?:Oral|Injectable|Injection|Topical|Transdermal|Vaginal|Nasal|Inhal|Prefilled|Auto-Injector)\b|$)/i.exec(text);
    const name = (m?.[1] ?? '').trim();
    if (name !== '' && !/^inert\b/i.test(name)) names.push(name);
  }
  return names;
}

const SIDES = ['right', 'left', 'bilateral'] as const;

/**
 * Laterality refinements derived from ICD-10-CM itself: when a concept maps to a code whose description says
 * "unspecified" where a side goes ("Pain in unspecified knee"), and ICD-10-CM has the same description with
 * "right", "left" or "bilateral" there ("Pain in right knee"), stating that side in the text selects that code.
 * @param b - the builder.
 * @param icd - the ICD-10-CM table.
 * @returns the number of refinements added.
 */
export function addLateralityRefinements(b: IndexBuilder, icd: IcdTable): number {
  const byDescription = new Map<string, IcdEntry>();
  for (const e of icd.entries.values()) if (e.billable) byDescription.set(e.description.toLowerCase(), e);
  let n = 0;
  for (const id of [...b.conceptIds()]) {
    const c = b.get(id);
    if (!c || !id.startsWith('sct:') || id.includes('~') || !CONDITION_GROUPS.has(c.group)) continue;
    const mapped = c.codings.find((x) => x.system === ICD10CM);
    if (!mapped || !/\bunspecified\b/i.test(mapped.display)) continue;
    for (const side of SIDES) {
      const target = sidedVariants(mapped.display, side)
        .map((d) => byDescription.get(d.toLowerCase()))
        .find((e) => e !== undefined && e.code !== mapped.code);
      if (!target) continue;
      const variantId = `${id}~${target.code}`;
      if (b.has(variantId)) continue;
      b.addConcept({
        id: variantId,
        group: c.group,
        display: c.display,
        codings: [...c.codings.filter((x) => x.system !== ICD10CM), { system: ICD10CM, code: target.code, display: target.description }],
        base: id,
      });
      b.addRefinement(id, 'laterality', [side], variantId);
      addTargetTerms(b, variantId, target.description);
      n++;
    }
  }
  return n;
}

/** Each "unspecified" of a description replaced by a side, one at a time ("unspecified ear" → "right ear"). */
function sidedVariants(description: string, side: string): string[] {
  const out: string[] = [];
  const re = /\bunspecified\b/gi;
  for (let m = re.exec(description); m !== null; m = re.exec(description)) {
    out.push(description.slice(0, m.index) + side + description.slice(m.index + m[0].length));
  }
  return out;
}

/**
 * SNOMED CT problems that map to ICD-10-CM chapter R (symptoms, signs) are findings, not disorders.
 * @param b - the builder.
 * @returns how many concepts changed group.
 */
export function markSymptomsAsFindings(b: IndexBuilder): number {
  let n = 0;
  for (const id of [...b.conceptIds()]) {
    const c = b.get(id);
    if (!c || !id.startsWith('sct:') || c.group !== 'disorder') continue;
    if (c.codings.some((x) => x.system === ICD10CM && x.code.startsWith('R'))) {
      b.setGroup(id, 'finding');
      n++;
    }
  }
  return n;
}

/**
 * Adds the generated synonyms (`conditionVariants`: "breast cancer" for "Malignant tumor of breast", "aortic
 * stenosis" for "Aortic valve stenosis") of every SNOMED CT condition concept's names as its terms. They rank below
 * every name a source gives, so a source's own wording always wins a clash.
 * @param b - the builder.
 * @returns the number of terms added.
 */
export function addGeneratedConditionSynonyms(b: IndexBuilder): number {
  let n = 0;
  for (const id of [...b.conceptIds()]) {
    const c = b.get(id);
    if (!c || !id.startsWith('sct:') || id.includes('~') || !CONDITION_GROUPS.has(c.group)) continue;
    for (const coding of c.codings.filter((x) => x.system === SNOMED)) {
      for (const v of conditionVariants(stripSemanticTag(coding.display))) {
        if (b.addTerm(id, v, { priority: PRIORITY.generated }) !== '') n++;
      }
    }
  }
  return n;
}
