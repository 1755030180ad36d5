/**
 * The in-memory {@link TerminologyIndex}: parsed index data plus lazily materialised, frozen concepts. Pure: the
 * caller reads the file (see `load-index.ts`).
 */
import type { IndexData } from './index-data.js';
import { groupOfConcept, postingsOf } from './index-data.js';
import { aliasOf, parseCodings, POSTING_FLAGS } from './index-format.js';
import { findMatches } from './matcher.js';
import { bagKey, termKey } from './normalize.js';
import { SpellingCorrector } from './spelling.js';
import { hasTermWithin } from './term-within.js';
import type { Concept, SemanticGroup, TerminologyIndex, TermMatch } from './types.js';

/** List separator of the index format (U+001F). */
const COMPONENT_SEPARATOR = '\u001f';

/** Counts describing an index, for `chartmine terminology info` and the README. */
export interface IndexStats {
  readonly concepts: number;
  readonly terms: number;
  readonly wordOrderKeys: number;
  readonly vocabulary: number;
  readonly conceptsBySystem: Readonly<Record<string, number>>;
}

/** A read-only dictionary index. */
export class DictionaryIndex implements TerminologyIndex {
  readonly name: string;
  readonly version: string;
  private readonly concepts: (Concept | undefined)[];
  private readonly speller: SpellingCorrector;

  /**
   * @param data - parsed index data.
   * @param sha256 - sha256 (hex) of the index file, for provenance.
   */
  constructor(
    readonly data: IndexData,
    readonly sha256: string
  ) {
    this.name = data.header.name;
    this.version = data.header.version;
    this.concepts = new Array<Concept | undefined>(data.conceptLines.length);
    this.speller = new SpellingCorrector(data.vocabulary, data.knownWords);
  }

  /** {@inheritDoc TerminologyIndex.match} */
  match(text: string): TermMatch[] {
    const raw = findMatches({ data: this.data, speller: this.speller, groupOf: (i) => this.groupAt(i) }, text);
    return raw.map((m) => ({ start: m.start, end: m.end, concept: this.conceptAt(m.concept), score: m.score, kind: m.kind }));
  }

  /** {@inheritDoc TerminologyIndex.lookup} */
  lookup(system: string, code: string): Concept | undefined {
    const alias = aliasOf(system);
    return alias === undefined ? undefined : this.get(`${alias}:${code}`);
  }

  /** {@inheritDoc TerminologyIndex.get} */
  get(id: string): Concept | undefined {
    const i = this.data.conceptIds.indexOf(id);
    return i < 0 ? undefined : this.conceptAt(i);
  }

  /** {@inheritDoc TerminologyIndex.lookupTerm} */
  lookupTerm(phrase: string, groups?: readonly SemanticGroup[]): Concept | undefined {
    const key = termKey(phrase);
    if (key === '') return undefined;
    const wanted = groups && groups.length > 0 ? new Set(groups) : undefined;
    for (const field of [this.data.terms.get(key), key.includes(' ') ? this.data.bags.get(bagKey(key)) : undefined]) {
      const postings = postingsOf(field).filter((p) => !(p.flags & POSTING_FLAGS.upperOnly) || key.length > 3);
      const hit = postings.find((p) => !wanted || wanted.has(this.groupAt(p.concept)));
      if (hit) return this.conceptAt(hit.concept);
    }
    return undefined;
  }

  /** {@inheritDoc TerminologyIndex.hasTermWithin} */
  hasTermWithin(text: string, start: number, end: number): boolean {
    return hasTermWithin(this.data, text, start, end);
  }

  /**
   * Counts for reports.
   * @returns the index's counts.
   */
  stats(): IndexStats {
    const bySystem: Record<string, number> = {};
    for (const id of this.data.conceptIds.keys()) {
      const alias = id.slice(0, id.indexOf(':'));
      bySystem[alias] = (bySystem[alias] ?? 0) + 1;
    }
    return {
      concepts: this.data.conceptLines.length,
      terms: this.data.terms.size,
      wordOrderKeys: this.data.bags.size,
      vocabulary: this.data.vocabulary.size,
      conceptsBySystem: bySystem,
    };
  }

  private groupAt(i: number): SemanticGroup {
    return groupOfConcept(this.data, i);
  }

  private conceptAt(i: number): Concept {
    const cached = this.concepts[i];
    if (cached) return cached;
    const [, id, , display, codings, ingredients, base, components] = this.data.conceptLines.line(i).split('\t');
    const ingredientList = parseCodings(ingredients ?? '');
    const concept: Concept = Object.freeze({
      id,
      group: this.groupAt(i),
      display,
      codings: Object.freeze(parseCodings(codings).map((c) => Object.freeze(c))),
      ...(ingredientList.length > 0 ? { ingredients: Object.freeze(ingredientList.map((c) => Object.freeze(c))) } : {}),
      ...(base ? { base } : {}),
      ...(components ? { components: Object.freeze(components.split(COMPONENT_SEPARATOR)) } : {}),
    });
    this.concepts[i] = concept;
    return concept;
  }
}
