/**
 * Accumulates concepts, terms, refinements and rules, resolves term clashes, and writes an index file. Used by the
 * shipped-content build and by the importers. Terms are kept as packed numbers so a full SNOMED CT + RxNorm +
 * LOINC import stays well inside 4 GiB.
 *
 * Clash resolution per key: entries are ordered by priority (curated > SNOMED CT > RxNorm > LOINC > ICD-10-CM
 * descriptions); within one class (disorder and finding form one class, "condition") only the highest-priority
 * concept is kept, so an ICD-10-CM description never competes with the SNOMED CT concept that says the same.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { ConceptRecord, ContextRuleRecord, IndexHeader, Posting } from '../index-format.js';
import { formatConceptLine, formatPostings, INDEX_FORMAT, POSTING_FLAGS } from '../index-format.js';
import { bagKey, normalizeWord, termKey } from '../normalize.js';
import type { ConceptCoding, SemanticGroup } from '../types.js';
import { MAX_BAG_WORDS } from '../matcher.js';

/** Term priorities, highest first. */
export const PRIORITY = {
  curated: 28,
  snomedSynthea: 24,
  snomed: 20,
  rxnorm: 18,
  loinc: 14,
  cvx: 12,
  /** Generated synonyms of SNOMED CT condition names (`synonym-rules.ts`). */
  generated: 10,
  icd10cm: 8,
  variant: 4,
} as const;

/** Options of one term. */
export interface TermOptions {
  readonly flags?: number;
  readonly priority?: number;
}

interface MutableConcept {
  id: string;
  group: SemanticGroup;
  display: string;
  codings: ConceptCoding[];
  ingredients: ConceptCoding[];
  base?: string;
  components?: string[];
}

/** Packing of a term entry: concept * 1024 + priority * 32 + flags. */
const PACK_CONCEPT = 1024;
const PACK_PRIORITY = 32;

/** Result of writing an index file. */
export interface WrittenIndex {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly concepts: number;
  readonly terms: number;
}

/** Builds one index. */
export class IndexBuilder {
  private readonly ids = new Map<string, number>();
  private readonly records: MutableConcept[] = [];
  private readonly keys = new Map<string, number[]>();
  private readonly refinements: string[] = [];
  private readonly rules: ContextRuleRecord[] = [];
  private readonly known = new Set<string>();
  private readonly blocked = new Set<string>();

  /** Number of concepts so far. */
  get size(): number {
    return this.records.length;
  }

  /**
   * Adds a concept, or returns the existing one with the same id (its group and display are kept).
   * @param c - the concept; `codings[0]` should be its primary coding.
   * @returns the concept's index.
   */
  addConcept(c: Omit<ConceptRecord, 'ingredients'> & { readonly ingredients?: readonly ConceptCoding[] }): number {
    const existing = this.ids.get(c.id);
    if (existing !== undefined) {
      for (const coding of c.codings) this.addCoding(c.id, coding);
      return existing;
    }
    const i = this.records.length;
    this.records.push({
      id: c.id,
      group: c.group,
      display: c.display,
      codings: [...c.codings],
      ingredients: [...(c.ingredients ?? [])],
      ...(c.base ? { base: c.base } : {}),
      ...(c.components && c.components.length > 0 ? { components: [...c.components] } : {}),
    });
    this.ids.set(c.id, i);
    return i;
  }

  /**
   * @param id - a concept id.
   * @returns whether the concept exists.
   */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * A concept's stored record (mutable only through the builder's methods).
   * @param id - a concept id.
   * @returns the record, or undefined.
   */
  get(id: string): Readonly<ConceptRecord> | undefined {
    const i = this.ids.get(id);
    return i === undefined ? undefined : this.records[i];
  }

  /** Every concept id, in index order. */
  conceptIds(): IterableIterator<string> {
    return this.ids.keys();
  }

  /**
   * Adds a coding (a cross-map) to a concept unless it has one with the same system and code.
   * @param id - the concept id.
   * @param coding - the coding.
   */
  addCoding(id: string, coding: ConceptCoding): void {
    const r = this.record(id);
    if (!r.codings.some((c) => c.system === coding.system && c.code === coding.code)) r.codings.push(coding);
  }

  /**
   * Adds an ingredient coding to a clinical drug.
   * @param id - the drug's concept id.
   * @param coding - the ingredient coding.
   */
  addIngredient(id: string, coding: ConceptCoding): void {
    const r = this.record(id);
    if (!r.ingredients.some((c) => c.system === coding.system && c.code === coding.code)) r.ingredients.push(coding);
  }

  /**
   * Makes a concept a compound of other concepts (a combination product, "nausea and vomiting"): the pipeline
   * writes one resource per component.
   * @param id - the compound's concept id.
   * @param components - the component concept ids, in order.
   */
  setComponents(id: string, components: readonly string[]): void {
    for (const c of components) this.indexOf(c);
    this.record(id).components = [...components];
  }

  /**
   * Changes a concept's semantic group.
   * @param id - the concept id.
   * @param group - the new group.
   */
  setGroup(id: string, group: SemanticGroup): void {
    this.record(id).group = group;
  }

  /**
   * Adds a term (normalised here) to a concept.
   * @param id - the concept id.
   * @param term - the term as written.
   * @param options - flags and priority.
   * @returns the key, or '' when the term normalises to nothing.
   */
  addTerm(id: string, term: string, options: TermOptions = {}): string {
    const key = termKey(term);
    if (key !== '') this.addKey(id, key, options);
    return key;
  }

  /**
   * Adds an already normalised key to a concept.
   * @param id - the concept id.
   * @param key - a key from `termKey`.
   * @param options - flags and priority.
   */
  addKey(id: string, key: string, options: TermOptions = {}): void {
    const i = this.ids.get(id);
    if (i === undefined) throw new Error(`unknown concept ${id}`);
    const packed = i * PACK_CONCEPT + (options.priority ?? 0) * PACK_PRIORITY + (options.flags ?? 0);
    const list = this.keys.get(key);
    if (list) list.push(packed);
    else this.keys.set(key, [packed]);
  }

  /**
   * Blocks a term for matching: every concept it names stays reachable through `lookupTerm` only (ambiguous
   * abbreviations: MS, PE, RA, CP).
   * @param term - the term as written.
   */
  blockTerm(term: string): void {
    const key = termKey(term);
    if (key !== '') this.blocked.add(key);
  }

  /**
   * Adds a refinement: when `words` are stated, the match becomes the concept `targetId`.
   * @param baseId - the concept refined.
   * @param kind - laterality (words in or just before the span) or qualifier (words in the sentence).
   * @param words - trigger words, normalised here.
   * @param targetId - the refined variant.
   */
  addRefinement(baseId: string, kind: 'laterality' | 'qualifier', words: readonly string[], targetId: string): void {
    const keys = words.map((w) => normalizeWord(w.trim())).filter((k) => k !== '');
    this.refinements.push(['R', this.indexOf(baseId), kind, keys.join(' '), this.indexOf(targetId)].join('\t'));
  }

  /**
   * Adds a context rule for a term.
   * @param term - the term as written.
   * @param mode - require a word before, or block on a word before/after.
   * @param words - the cue words, normalised here.
   */
  addContextRule(term: string, mode: ContextRuleRecord['mode'], words: readonly string[]): void {
    // Cue words are compared with single token norms, stop words included ("a cold").
    this.rules.push({ key: termKey(term), mode, words: words.map((w) => normalizeWord(w.trim())).filter((k) => k !== '') });
  }

  /**
   * Adds real words that must never be spelling-corrected.
   * @param words - normalised words.
   */
  addKnownWords(words: Iterable<string>): void {
    for (const w of words) this.known.add(w);
  }

  /**
   * Resolves clashes and writes the gzip index file (atomically: a temporary file is renamed).
   * @param path - the output file.
   * @param header - name, version and source notes.
   * @param onProgress - called with a short progress message.
   * @returns what was written.
   */
  async write(path: string, header: Omit<IndexHeader, 'format'>, onProgress?: (m: string) => void): Promise<WrittenIndex> {
    const tmp = `${path}.tmp`;
    const gzip = createGzip({ level: 9 });
    const file = createWriteStream(tmp);
    const hash = createHash('sha256');
    let bytes = 0;
    gzip.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    gzip.pipe(file);
    const put = async (line: string): Promise<void> => {
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
    };
    const sortedKeys = [...this.keys.keys()].sort();
    await put(JSON.stringify({ format: INDEX_FORMAT, ...header, concepts: this.records.length, terms: sortedKeys.length }));
    for (const r of this.records) await put(formatConceptLine(r));
    onProgress?.(`wrote ${this.records.length} concepts`);
    const bags = new Map<string, number[]>();
    for (const key of sortedKeys) {
      const stored = this.keys.get(key) ?? [];
      const entries = this.blocked.has(key)
        ? stored.map((p) => (p % PACK_PRIORITY) & POSTING_FLAGS.lookupOnly ? p : p + POSTING_FLAGS.lookupOnly)
        : stored;
      const postings = this.resolve(entries);
      if (postings.length === 0) continue;
      await put(`T\t${key}\t${formatPostings(postings)}`);
      const words = key.split(' ').length;
      if (words >= 2 && words <= MAX_BAG_WORDS) {
        const bag = bagKey(key);
        const list = bags.get(bag);
        if (list) list.push(...entries);
        else bags.set(bag, [...entries]);
      }
    }
    onProgress?.(`wrote ${sortedKeys.length} term keys`);
    for (const bag of [...bags.keys()].sort()) {
      const postings = this.resolve(bags.get(bag) ?? []).filter((p) => !(p.flags & POSTING_FLAGS.abbreviation));
      if (postings.length > 0) await put(`B\t${bag}\t${formatPostings(postings)}`);
    }
    for (const line of this.refinements) await put(line);
    for (const r of this.rules) await put(['X', r.key, r.mode, r.words.join(' ')].join('\t'));
    if (this.known.size > 0) await put(`K\t${[...this.known].sort().join(' ')}`);
    gzip.end();
    await once(file, 'close');
    await rename(tmp, path);
    return { path, bytes, sha256: hash.digest('hex'), concepts: this.records.length, terms: sortedKeys.length };
  }

  /** Orders a key's entries by priority and keeps the best concept per class. */
  private resolve(entries: readonly number[]): Posting[] {
    const unpacked = entries.map((p, order) => ({
      concept: Math.floor(p / PACK_CONCEPT),
      priority: Math.floor((p % PACK_CONCEPT) / PACK_PRIORITY),
      flags: p % PACK_PRIORITY,
      order,
    }));
    unpacked.sort((a, b) => b.priority - a.priority || a.order - b.order);
    const seenClass = new Set<string>();
    const seenConcept = new Set<number>();
    const out: Posting[] = [];
    for (const e of unpacked) {
      if (seenConcept.has(e.concept)) continue;
      const group = this.records[e.concept].group;
      const cls = `${group === 'finding' ? 'disorder' : group}:${e.flags & POSTING_FLAGS.lookupOnly ? 'l' : 'm'}`;
      if (seenClass.has(cls)) continue;
      seenClass.add(cls);
      seenConcept.add(e.concept);
      out.push({ concept: e.concept, flags: e.flags });
    }
    return out;
  }

  private record(id: string): MutableConcept {
    return this.records[this.indexOf(id)];
  }

  private indexOf(id: string): number {
    const i = this.ids.get(id);
    if (i === undefined) throw new Error(`unknown concept ${id}`);
    return i;
  }
}
