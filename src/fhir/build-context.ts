/** The context a resource builder works in, and the mapping rules builders and grouping share. Pure. */
import type { CodeableConcept, Extension, Meta } from '@medplum/fhirtypes';
import type { Assertion, MedicationMention, Mention, Span } from '../nlp/types.js';
import type { Concept } from '../terminology/types.js';
import type { DesiredFinding, MappingOptions, NoteVersion } from './finding-types.js';

/** What a resource builder gets: the grouped mentions and helpers bound to this note. */
export interface BuildContext {
  readonly note: NoteVersion;
  readonly text: string;
  readonly options: MappingOptions;
  /** `code` for a concept (all its codings), or `code.text` from the span when uncoded. */
  toCodeableConcept(concept: Concept | undefined, span: Span): CodeableConcept;
  /**
   * The common part every derived resource carries: identifier, tags, provenance extensions.
   * @param key - the finding key.
   * @param mentions - the mentions behind the resource.
   * @param profiles - the profiles the resource claims.
   * @param assertion - the assertion the resource states (default: the first mention's).
   */
  common(
    key: string,
    mentions: readonly Mention[],
    profiles: readonly string[],
    assertion?: Assertion
  ): { identifier: DesiredFinding['identifier']; meta: Meta; extension: Extension[] };
  /** The sentence a mention is in (the whole text when the pipeline gives none). */
  sentenceOf(m: Mention): Span;
  /** Whether a possible problem is listed with other possible problems in its sentence (a differential). */
  inDifferential(m: Mention): boolean;
  /** The assertion the finding key states (`Condition|<concept>|<assertion>` and the like). */
  assertionOf(key: string): Assertion;
}

/**
 * MedicationStatement.status of a mention: negated → not-taken, possible → unknown, hypothetical → intended, a
 * historical mention the text gives no stop cue for → completed, otherwise the status cue the text gives.
 * @param m - the medication mention.
 * @returns the status.
 */
export function medicationStatus(m: MedicationMention): MedicationMention['status'] {
  switch (m.assertion) {
    case 'negated':
      return 'not-taken';
    case 'possible':
      return 'unknown';
    case 'hypothetical':
      return 'intended';
    case 'historical':
      return m.status === 'active' || m.status === 'unknown' ? 'completed' : m.status;
    default:
      return m.status;
  }
}
