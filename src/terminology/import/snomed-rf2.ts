/**
 * Imports a SNOMED CT RF2 Snapshot (International or a national edition such as the US Edition): the concept file,
 * the English description file and a language reference set, plus — when present and asked for — the ICD-10-CM
 * extended map of the US Edition. Streams every file; only what the index keeps is held in memory.
 *
 * Files (found anywhere under the folder): `sct2_Concept_Snapshot*.txt`, `sct2_Description_Snapshot-en*.txt`,
 * `der2_cRefset_LanguageSnapshot-en*.txt`, `der2_iisssciRefset_ExtendedMapSnapshot*.txt`.
 */
import { ICD10CM, SNOMED } from '../systems.js';
import { semanticTagOf, SNOMED_TAG_GROUPS, stripSemanticTag } from '../normalize.js';
import type { SemanticGroup } from '../types.js';
import type { IndexBuilder } from '../build/index-builder.js';
import { PRIORITY } from '../build/index-builder.js';
import { MissingInputError, readLines } from '../build/read-files.js';
import { findFiles, progressEvery } from './find-files.js';

/** RF2 description type: fully specified name. */
export const FSN_TYPE = '900000000000003001';
/** RF2 acceptability: preferred. */
export const PREFERRED = '900000000000548007';
/** US English language reference set. */
export const US_ENGLISH_REFSET = '900000000000509007';
/** GB English language reference set. */
export const GB_ENGLISH_REFSET = '900000000000508004';
/** SNOMED CT to ICD-10-CM extended map reference set (US Edition). */
export const ICD10CM_MAP_REFSET = '6011000124106';

/** Semantic tags of the concepts the index keeps, and their groups. */
const GROUP_BY_TAG: Readonly<Record<string, SemanticGroup>> = {
  ...SNOMED_TAG_GROUPS,
  'medicinal product': 'medication',
  'medicinal product form': 'medication',
  'clinical drug': 'clinical-drug',
};

/** Options of a SNOMED CT import. */
export interface SnomedImportOptions {
  readonly dir: string;
  /** Language refset whose preferred terms become displays; default US English, then GB English. */
  readonly languageRefset?: string;
  /** ICD-10-CM descriptions, for map displays; maps are imported only when given. */
  readonly icd10cm?: ReadonlyMap<string, string>;
  readonly onProgress?: (message: string) => void;
}

/** What a SNOMED CT import added. */
export interface SnomedImportCounts {
  readonly concepts: number;
  readonly terms: number;
  readonly icd10cmMaps: number;
}

interface Pending {
  fsn?: string;
  preferred?: string;
  synonyms: string[];
}

/**
 * Imports an RF2 snapshot into the builder.
 * @param b - the builder.
 * @param options - folder, language refset, ICD-10-CM displays, progress callback.
 * @returns counts.
 * @throws MissingInputError when the concept or description file is missing.
 */
export async function importSnomedRf2(b: IndexBuilder, options: SnomedImportOptions): Promise<SnomedImportCounts> {
  const say = options.onProgress;
  const [conceptFile] = await findFiles(options.dir, /^sct2_Concept_Snapshot.*\.txt$/);
  const [descriptionFile] = await findFiles(options.dir, /^sct2_Description_Snapshot-en.*\.txt$/);
  if (!conceptFile) throw new MissingInputError(options.dir, 'RF2 concept snapshot (sct2_Concept_Snapshot*.txt)');
  if (!descriptionFile) throw new MissingInputError(options.dir, 'RF2 description snapshot (sct2_Description_Snapshot-en*.txt)');
  const active = new Set<string>();
  let n = 0;
  const tick = progressEvery('SNOMED CT concepts', 200_000, say);
  for await (const line of readLines(conceptFile)) {
    tick(++n);
    const f = line.split('\t');
    if (f[2] === '1') active.add(f[0]);
  }
  say?.(`SNOMED CT: ${active.size} active concepts`);
  const acceptability = await readLanguageRefset(options, say);
  const pending = new Map<string, Pending>();
  n = 0;
  const tickD = progressEvery('SNOMED CT descriptions', 500_000, say);
  for await (const line of readLines(descriptionFile)) {
    tickD(++n);
    const f = line.split('\t');
    // id effectiveTime active moduleId conceptId languageCode typeId term caseSignificanceId
    if (f[2] !== '1' || !active.has(f[4])) continue;
    const accept = acceptability ? acceptability.get(f[0]) : 'acceptable';
    if (accept === undefined) continue;
    let p = pending.get(f[4]);
    if (!p) pending.set(f[4], (p = { synonyms: [] }));
    if (f[6] === FSN_TYPE) p.fsn = f[7];
    else if (accept === 'preferred') p.preferred = f[7];
    else p.synonyms.push(f[7]);
  }
  active.clear();
  let concepts = 0;
  let terms = 0;
  for (const [code, p] of pending) {
    const tag = p.fsn ? semanticTagOf(p.fsn) : undefined;
    const group = tag ? GROUP_BY_TAG[tag] : undefined;
    if (!group) continue;
    const display = p.preferred ?? stripSemanticTag(p.fsn ?? code);
    const id = `sct:${code}`;
    b.addConcept({ id, group, display, codings: [{ system: SNOMED, code, display }] });
    concepts++;
    for (const term of new Set([display, stripSemanticTag(p.fsn ?? display), ...p.synonyms])) {
      if (b.addTerm(id, term, { priority: PRIORITY.snomed }) !== '') terms++;
    }
  }
  pending.clear();
  say?.(`SNOMED CT: ${concepts} concepts, ${terms} terms`);
  const icd10cmMaps = options.icd10cm ? await importIcdMap(b, options.dir, options.icd10cm, say) : 0;
  return { concepts, terms, icd10cmMaps };
}

/** Description id → preferred/acceptable in the chosen language refset, or undefined when there is no refset. */
async function readLanguageRefset(
  options: SnomedImportOptions,
  say?: (m: string) => void
): Promise<Map<string, 'preferred' | 'acceptable'> | undefined> {
  const files = await findFiles(options.dir, /^der2_cRefset_LanguageSnapshot-en.*\.txt$/);
  if (files.length === 0) {
    say?.('SNOMED CT: no language refset found; every active description is used, displays from the FSN');
    return undefined;
  }
  const wanted = options.languageRefset ? [options.languageRefset] : [US_ENGLISH_REFSET, GB_ENGLISH_REFSET];
  const byRefset = new Map<string, Map<string, 'preferred' | 'acceptable'>>();
  let n = 0;
  const tick = progressEvery('SNOMED CT language refset', 500_000, say);
  for (const file of files) {
    for await (const line of readLines(file)) {
      tick(++n);
      const f = line.split('\t');
      // id effectiveTime active moduleId refsetId referencedComponentId acceptabilityId
      if (f[2] !== '1' || !wanted.includes(f[4])) continue;
      let m = byRefset.get(f[4]);
      if (!m) byRefset.set(f[4], (m = new Map()));
      m.set(f[5], f[6] === PREFERRED ? 'preferred' : 'acceptable');
    }
  }
  for (const refset of wanted) {
    const m = byRefset.get(refset);
    if (m) return m;
  }
  say?.('SNOMED CT: the language refset has no rows for the requested refset; using every active description');
  return undefined;
}

/**
 * Imports the ICD-10-CM extended map: map group 1, the first rule that always applies (`TRUE` or
 * `OTHERWISE TRUE`) with a target.
 */
async function importIcdMap(
  b: IndexBuilder,
  dir: string,
  icd: ReadonlyMap<string, string>,
  say?: (m: string) => void
): Promise<number> {
  const files = await findFiles(dir, /^der2_iisssciRefset_ExtendedMapSnapshot.*\.txt$/);
  const best = new Map<string, { priority: number; target: string }>();
  for (const file of files) {
    for await (const line of readLines(file)) {
      const f = line.split('\t');
      // id effectiveTime active moduleId refsetId referencedComponentId mapGroup mapPriority mapRule mapAdvice mapTarget …
      if (f[2] !== '1' || f[4] !== ICD10CM_MAP_REFSET || f[6] !== '1') continue;
      if (f[8] !== 'TRUE' && f[8] !== 'OTHERWISE TRUE') continue;
      const target = f[10]?.trim();
      if (!target) continue;
      const priority = Number(f[7]);
      const current = best.get(f[5]);
      if (!current || priority < current.priority) best.set(f[5], { priority, target });
    }
  }
  let n = 0;
  for (const [code, { target }] of best) {
    const id = `sct:${code}`;
    const display = icd.get(target);
    if (!b.has(id) || display === undefined) continue;
    b.addCoding(id, { system: ICD10CM, code: target, display });
    n++;
  }
  say?.(`SNOMED CT → ICD-10-CM: ${n} maps`);
  return n;
}
