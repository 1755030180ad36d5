/**
 * Terminology vocabulary shared by the matcher, the pipeline and the FHIR mapping. Pure types.
 */

/** Semantic groups a concept can belong to; they decide which FHIR resource a mention becomes. */
export type SemanticGroup =
  | 'disorder'
  | 'finding'
  | 'medication'
  | 'clinical-drug'
  | 'observable'
  | 'procedure'
  | 'allergen'
  /** A vaccine product (CVX / SNOMED CT): becomes an Immunization, never a MedicationStatement or a Condition. */
  | 'vaccine';

/** A code in a code system, with the display from the index. */
export interface ConceptCoding {
  /** Code system URI (see `terminology/systems.ts`). */
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

/** A concept of the index: its primary coding first, then cross-maps (e.g. SNOMED CT → ICD-10-CM). */
export interface Concept {
  /** Index-unique id, e.g. `sct:38341003`. Stable across index versions for the same primary coding. */
  readonly id: string;
  readonly group: SemanticGroup;
  readonly display: string;
  readonly codings: readonly ConceptCoding[];
  /** For a clinical drug: its RxNorm ingredient codings (a cross-map, not a translation of the drug). */
  readonly ingredients?: readonly ConceptCoding[];
  /**
   * For a refined variant (a more specific ICD-10-CM code chosen because the text states laterality or a
   * qualifier such as hyperglycaemia), the id of the concept it refines. Variant ids are `<base>~<icd code>`.
   */
  readonly base?: string;
  /**
   * For a combination product (a brand such as Percocet or Entresto), the index ids of its ingredient concepts:
   * the pipeline writes one MedicationStatement per ingredient. Such a concept has no coding of its own.
   */
  readonly components?: readonly string[];
}

/**
 * How a match was made, best first. `word-form`: an adjective read as its finding's noun ("tachycardic" as
 * tachycardia, "hypothyroid" as hypothyroidism).
 */
export type MatchKind = 'exact' | 'abbreviation' | 'word-order' | 'word-form' | 'spelling';

/** A dictionary match in a text. */
export interface TermMatch {
  readonly start: number;
  readonly end: number;
  readonly concept: Concept;
  /** 1 for an exact normalised match, lower for fuzzy or abbreviation matches. */
  readonly score: number;
  /** How the text matched the term. */
  readonly kind?: MatchKind;
}

/** The read-only terminology index used by every worker. */
export interface TerminologyIndex {
  /** Index name and version; goes into every coding's provenance and the pipeline version. */
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  /** All non-overlapping longest matches in `text`, sorted by start. */
  match(text: string): TermMatch[];
  /** Look a concept up by one of its codings. */
  lookup(system: string, code: string): Concept | undefined;
  /** Look a concept up by its index id. */
  get(id: string): Concept | undefined;
  /** Exact look-up of a phrase after the index's normalisation (e.g. an abbreviation's expansion). */
  lookupTerm(phrase: string, groups?: readonly SemanticGroup[]): Concept | undefined;
  /**
   * A cheap, conservative test: true whenever `lookupTerm(surface, groups)` could return a concept, for any groups,
   * for some whole-word substring `surface` of `text[start, end)` (words as the NER model splits them,
   * `nlp/ner/words.ts`). It may be true when no substring is a term, never false when one is.
   * @param text - the text.
   * @param start - start of the range (UTF-16 offset).
   * @param end - end of the range.
   * @returns false only when no model span inside the range can be coded by look-up.
   */
  hasTermWithin(text: string, start: number, end: number): boolean;
}
