/**
 * The on-disk terminology index format `chartmine-terminology/1`: gzip-compressed UTF-8 text, one record per line,
 * fields separated by TAB, lists by U+001F. Built by `chartmine terminology build|import`, read by
 * `loadTerminologyIndex`. Term keys are stored already normalised so loading does no text processing.
 *
 * ```
 * {"format":"chartmine-terminology/1","name":…,"version":…}      header (JSON, first line)
 * C  id  group  display  codings  ingredients  base  [components]  one concept; its line number is its index
 *                                                                  (components: ids of a combination product's parts)
 * T  key  postings                                                 exact term key → concept postings
 * B  bagKey  postings                                              word-order-free key → postings
 * R  conceptIndex  kind  words  targetIndex                        refinement (laterality, qualifier)
 * X  key  mode  words                                              context rule for a term key
 * K  words                                                         known words (never spelling-corrected)
 * ```
 * A coding is `alias|code|display` (aliases in {@link SYSTEM_ALIASES}); a posting is `conceptIndex:flags`.
 */
import { CVX, ICD10CM, LOINC, RXNORM, SNOMED } from './systems.js';
import type { ConceptCoding, SemanticGroup } from './types.js';

/** The format identifier written in every header. */
export const INDEX_FORMAT = 'chartmine-terminology/1';

/** File name of the index inside a terminology directory. */
export const INDEX_FILE = 'index.tsv.gz';

/** Short system aliases used in concept ids and codings. */
export const SYSTEM_ALIASES: Readonly<Record<string, string>> = {
  sct: SNOMED,
  icd: ICD10CM,
  rx: RXNORM,
  loinc: LOINC,
  cvx: CVX,
};

const ALIAS_BY_SYSTEM: ReadonlyMap<string, string> = new Map(Object.entries(SYSTEM_ALIASES).map(([a, s]) => [s, a]));

/**
 * The alias of a system URI.
 * @param system - a code system URI.
 * @returns its alias, or undefined when the index does not know the system.
 */
export function aliasOf(system: string): string | undefined {
  return ALIAS_BY_SYSTEM.get(system);
}

/** Posting flags. */
export const POSTING_FLAGS = {
  /** Matches only when the text is written in capitals (abbreviations that are also English words: SOB, CAD). */
  upperOnly: 1,
  /** Never reached by spelling correction. */
  noFuzzy: 2,
  /** `lookupTerm` only: never produced by `match` (ambiguous abbreviations' expansions stay reachable). */
  lookupOnly: 4,
  /** An abbreviation or acronym: scored below a full term. */
  abbreviation: 8,
} as const;

/** Every semantic group, in the order the matcher prefers when a term has several. */
export const SEMANTIC_GROUPS: readonly SemanticGroup[] = [
  'medication',
  'clinical-drug',
  'observable',
  'disorder',
  'finding',
  'procedure',
  'allergen',
  'vaccine',
];

/** A concept record as stored. */
export interface ConceptRecord {
  readonly id: string;
  readonly group: SemanticGroup;
  readonly display: string;
  readonly codings: readonly ConceptCoding[];
  readonly ingredients: readonly ConceptCoding[];
  /** For a refined variant, the id of the concept it refines. */
  readonly base?: string;
  /** For a combination product (Percocet), the concept ids of its ingredients, in order. */
  readonly components?: readonly string[];
}

/** A posting: which concept a key means, with flags. */
export interface Posting {
  readonly concept: number;
  readonly flags: number;
}

/** A refinement: when `words` occur (within the span or just before it, or in the sentence), use `target`. */
export interface RefinementRecord {
  readonly concept: number;
  readonly kind: 'laterality' | 'qualifier';
  readonly words: readonly string[];
  readonly target: number;
}

/** A context rule for one term key. */
export interface ContextRuleRecord {
  readonly key: string;
  readonly mode: 'require-before' | 'block-before' | 'block-after';
  readonly words: readonly string[];
}

/** The header of an index file. */
export interface IndexHeader {
  readonly format: string;
  readonly name: string;
  readonly version: string;
  /** Where the content came from, with licence notes; informative. */
  readonly sources?: readonly { readonly name: string; readonly licence: string; readonly concepts?: number }[];
  readonly [key: string]: unknown;
}

const FS = '\u001f';

/**
 * Serialises a coding list.
 * @param codings - codings whose systems have aliases.
 * @returns the stored field.
 */
export function formatCodings(codings: readonly ConceptCoding[]): string {
  return codings
    .map((c) => {
      const alias = aliasOf(c.system);
      if (!alias) throw new Error(`no alias for code system ${c.system}`);
      return `${alias}|${c.code}|${clean(c.display)}`;
    })
    .join(FS);
}

/**
 * Parses a coding list.
 * @param field - the stored field.
 * @returns the codings.
 */
export function parseCodings(field: string): ConceptCoding[] {
  if (field === '') return [];
  return field.split(FS).map((part) => {
    const a = part.indexOf('|');
    const b = part.indexOf('|', a + 1);
    const alias = part.slice(0, a);
    return { system: SYSTEM_ALIASES[alias] ?? alias, code: part.slice(a + 1, b), display: part.slice(b + 1) };
  });
}

/**
 * Serialises a posting list.
 * @param postings - the postings.
 * @returns the stored field.
 */
export function formatPostings(postings: readonly Posting[]): string {
  return postings.map((p) => (p.flags ? `${p.concept}:${p.flags}` : String(p.concept))).join(',');
}

/**
 * Parses a posting list.
 * @param field - the stored field.
 * @returns the postings.
 */
export function parsePostings(field: string): Posting[] {
  return field.split(',').map((p) => {
    const colon = p.indexOf(':');
    return colon < 0
      ? { concept: Number(p), flags: 0 }
      : { concept: Number(p.slice(0, colon)), flags: Number(p.slice(colon + 1)) };
  });
}

/**
 * Formats a concept line.
 * @param c - the concept.
 * @returns the line without newline.
 */
export function formatConceptLine(c: ConceptRecord): string {
  const fields = ['C', c.id, c.group, clean(c.display), formatCodings(c.codings), formatCodings(c.ingredients), c.base ?? ''];
  // The components column is written only for combination products, so older readers and indexes stay compatible.
  if (c.components && c.components.length > 0) fields.push(c.components.join(FS));
  return fields.join('\t');
}

/** Replaces characters that would break the line format. */
function clean(text: string): string {
  return text.replace(/[\t\r\n\u001f]+/g, ' ');
}
