/**
 * Mentions → the FHIR resources Chartmine wants to exist for one note version. Pure: same input, same output.
 *
 * Mentions of the same thing collapse into one resource, keyed by what the resource says rather than where:
 * Condition per (concept, assertion), MedicationStatement per (drug, status), AllergyIntolerance per substance,
 * FamilyMemberHistory per relative, Observation per (code, n-th occurrence). Every span behind a resource is kept as
 * a `derivation-reference` extension. The key, hashed with the note id, is the resource's identifier: it stays the
 * same when the note is reprocessed or a new version still says the same thing.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Coding, Extension, Meta, Resource } from '@medplum/fhirtypes';
import type {
  AllergyMention,
  MeasurementMention,
  MedicationMention,
  Mention,
  NlpResult,
  ProblemMention,
  Span,
} from '../nlp/types.js';
import type { Concept } from '../terminology/types.js';
import { buildAllergyIntolerance, buildCondition, buildFamilyMemberHistory, buildMedicationStatement, buildObservation } from './build-resources.js';
import type { DesiredFinding, MappingOptions, NoteVersion } from './finding-types.js';
import {
  ASSERTION_EXTENSION_URL,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  FINDING_IDENTIFIER_SYSTEM,
  NLP_DERIVED_TAG,
  PIPELINE_VERSION_TAG_SYSTEM,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from './naming.js';

/** What a resource builder gets: the grouped mentions and helpers bound to this note. */
export interface BuildContext {
  readonly note: NoteVersion;
  readonly text: string;
  readonly options: MappingOptions;
  /** `code` for a concept (all its codings), or `code.text` from the span when uncoded. */
  toCodeableConcept(concept: Concept | undefined, span: Span): CodeableConcept;
  /** The common part every derived resource carries: identifier, tags, provenance extensions. */
  common(key: string, mentions: readonly Mention[]): { identifier: DesiredFinding['identifier']; meta: Meta; extension: Extension[] };
}

/**
 * Maps the pipeline's mentions to the resources Chartmine wants for this note version.
 * @param note - the note version analysed.
 * @param text - the analysed text (only to take `code.text` of uncoded mentions and sig text).
 * @param result - the pipeline result.
 * @param options - site choices and the pipeline version.
 * @returns the desired findings, sorted by key.
 */
export function mapFindings(note: NoteVersion, text: string, result: NlpResult, options: MappingOptions): DesiredFinding[] {
  const ctx = createContext(note, text, options);
  const groups = new Map<string, Mention[]>();
  const add = (key: string, m: Mention): void => {
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  };
  const ordinals = new Map<string, number>();
  const mentions = [...result.mentions].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  for (const m of mentions) {
    if (!m.concept && !options.writeUncoded) continue;
    if (m.assertion === 'hypothetical' && !options.writeHypothetical) continue;
    const key = findingKey(m, text, ordinals);
    if (key) add(key, m);
  }
  const out: DesiredFinding[] = [];
  for (const [key, group] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const resource = buildFor(key, group, ctx);
    if (resource) {
      out.push({ key, identifier: findingIdentifier(note.id, key), resource });
    }
  }
  return out;
}

/**
 * The identifier value of a finding: the note id plus a hash of the key (keys can be long; values stay short and
 * free of characters that need escaping in token searches).
 * @param noteId - the DocumentReference id.
 * @param key - the finding key.
 * @returns the identifier value.
 */
export function findingIdentifier(noteId: string, key: string): string {
  return `${noteId}-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** Returns the grouping key of a mention, or undefined when the mention maps to nothing. */
function findingKey(m: Mention, text: string, ordinals: Map<string, number>): string | undefined {
  const concept = conceptKey(m.concept, text, m.span);
  switch (m.kind) {
    case 'problem':
      return m.assertion === 'family'
        ? `FamilyMemberHistory|${m.relative ?? 'FAMMEMB'}`
        : `Condition|${concept}|${m.assertion}`;
    case 'medication':
      if (m.assertion === 'family' || m.assertion === 'possible') return undefined;
      return `MedicationStatement|${concept}|${m.assertion === 'negated' ? 'not-taken' : m.status}`;
    case 'allergy':
      return m.assertion === 'family' ? undefined : `AllergyIntolerance|${concept}|${m.assertion === 'negated' ? 'refuted' : 'asserted'}`;
    case 'measurement': {
      if (m.assertion !== 'affirmed' && m.assertion !== 'historical') return undefined;
      const n = (ordinals.get(concept) ?? 0) + 1;
      ordinals.set(concept, n);
      return `Observation|${concept}|${n}`;
    }
    default:
      return undefined;
  }
}

function conceptKey(concept: Concept | undefined, text: string, span: Span): string {
  if (concept) return concept.id;
  const surface = text.slice(span.start, span.end).toLowerCase().replace(/\s+/g, ' ').trim();
  return `text:${createHash('sha256').update(surface).digest('hex').slice(0, 16)}`;
}

function buildFor(key: string, group: readonly Mention[], ctx: BuildContext): Resource | undefined {
  const first = group[0];
  switch (key.slice(0, key.indexOf('|'))) {
    case 'Condition':
      return buildCondition(key, group as readonly ProblemMention[], ctx);
    case 'FamilyMemberHistory':
      return buildFamilyMemberHistory(key, group as readonly ProblemMention[], ctx);
    case 'MedicationStatement':
      return buildMedicationStatement(key, group as readonly MedicationMention[], ctx);
    case 'AllergyIntolerance':
      return buildAllergyIntolerance(key, group as readonly AllergyMention[], ctx);
    case 'Observation':
      return first.kind === 'measurement' ? buildObservation(key, first as MeasurementMention, ctx) : undefined;
    default:
      return undefined;
  }
}

function createContext(note: NoteVersion, text: string, options: MappingOptions): BuildContext {
  const documentVersionRef = `DocumentReference/${note.id}/_history/${note.versionId}`;
  return {
    note,
    text,
    options,
    toCodeableConcept(concept, span) {
      if (!concept) {
        return { text: text.slice(span.start, span.end).replace(/\s+/g, ' ').trim() };
      }
      const coding: Coding[] = concept.codings.map((c) => ({ system: c.system, code: c.code, display: c.display }));
      return { coding, text: concept.display };
    },
    common(key, mentions) {
      const spans = uniqueSpans(mentions.map((m) => m.span));
      const confidence = Math.max(...mentions.map((m) => m.confidence));
      const extension: Extension[] = [
        ...spans.map((s) => derivationReference(documentVersionRef, note.attachmentPath, s)),
        { url: ASSERTION_EXTENSION_URL, valueCode: mentions[0].assertion },
        { url: CONFIDENCE_EXTENSION_URL, valueDecimal: Math.round(confidence * 1000) / 1000 },
      ];
      const meta: Meta = {
        tag: [
          NLP_DERIVED_TAG,
          { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: note.id },
          { system: PIPELINE_VERSION_TAG_SYSTEM, code: options.pipelineVersion },
        ],
      };
      return { identifier: findingIdentifier(note.id, key), meta, extension };
    },
  };
}

function derivationReference(documentVersionRef: string, path: string, span: Span): Extension {
  return {
    url: DERIVATION_REFERENCE_URL,
    extension: [
      { url: 'reference', valueReference: { reference: documentVersionRef } },
      { url: 'path', valueString: path },
      { url: 'offset', valueInteger: span.start },
      { url: 'length', valueInteger: span.end - span.start },
    ],
  };
}

function uniqueSpans(spans: readonly Span[]): Span[] {
  const seen = new Set<string>();
  return spans.filter((s) => {
    const k = `${s.start}:${s.end}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The identifier element every finding carries. */
export function toFindingIdentifier(value: string): { system: string; value: string } {
  return { system: FINDING_IDENTIFIER_SYSTEM, value };
}
