/**
 * Mentions → the FHIR resources Chartmine wants to exist for one note version. Pure: same input, same output.
 *
 * Mentions of the same thing collapse into one resource, keyed by what the resource says rather than where:
 * Condition per (concept, assertion), MedicationStatement per (drug, status), AllergyIntolerance per (substance,
 * verification), FamilyMemberHistory per relative, Procedure per (procedure, done or planned), Observation per (code,
 * n-th occurrence). A historical mention of a
 * problem the note also affirms joins the affirmed Condition (the note says it is current; the history gives the
 * onset). Every span behind a resource is kept as a `derivation-reference` extension. The key, hashed with the note
 * id, is the resource's identifier: it stays the same when the note is reprocessed or a new version still says the
 * same thing. The assertion → FHIR table these keys and the builders implement is in README.md ("What is written").
 */
import { createHash } from 'node:crypto';
import type { Coding, Extension, Meta, Resource } from '@medplum/fhirtypes';
import type {
  AllergyMention,
  Assertion,
  MeasurementMention,
  MedicationMention,
  Mention,
  NlpResult,
  ProblemMention,
  ProcedureMention,
  Sentence,
  Span,
} from '../nlp/types.js';
import type { Concept } from '../terminology/types.js';
import { buildAllergyIntolerance, buildCondition, buildFamilyMemberHistory, buildMedicationStatement, buildObservation } from './build-resources.js';
import { buildProcedure } from './build-procedure.js';
import { medicationStatus, type BuildContext } from './build-context.js';
import { consolidateMentions } from './consolidate.js';
import type { DesiredFinding, MappingOptions, NoteVersion } from './finding-types.js';
import {
  ASSERTION_EXTENSION_URL,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  FINDING_IDENTIFIER_SYSTEM,
  NLP_DERIVED_TAG,
  PIPELINE_VERSION_EXTENSION_URL,
  PIPELINE_VERSION_TAG_SYSTEM,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from './naming.js';


/**
 * Maps the pipeline's mentions to the resources Chartmine wants for this note version.
 * @param note - the note version analysed.
 * @param text - the analysed text (only to take `code.text` of uncoded mentions and sig text).
 * @param result - the pipeline result.
 * @param options - site choices and the pipeline version.
 * @returns the desired findings, sorted by key.
 */
export function mapFindings(note: NoteVersion, text: string, result: NlpResult, options: MappingOptions): DesiredFinding[] {
  // Stage "consolidated findings": one finding per concept per note, with the note's final assertion and status.
  const consolidated = consolidateMentions(
    text,
    [...result.mentions].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end),
    result.sentences
  );
  const ctx = createContext(note, text, options, result.sentences, differentialMentions(consolidated));
  const groups = new Map<string, Mention[]>();
  const add = (key: string, m: Mention): void => {
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  };
  const mentions = consolidated;
  const affirmedProblems = new Set(
    mentions
      .filter((m) => m.kind === 'problem' && m.assertion === 'affirmed' && (m.context?.experiencer ?? 'patient') === 'patient')
      .map((m) => conceptKey(m.concept, text, m.span))
  );
  for (const m of mentions) {
    if (!m.concept && !options.writeUncoded) continue;
    // a planned procedure is a fact about the patient's care ("plan: colonoscopy"), written as `preparation`
    const planned = m.kind === 'procedure' && m.status === 'planned';
    if (m.assertion === 'hypothetical' && !options.writeHypothetical && !planned) continue;
    const key = findingKey(m, text, affirmedProblems);
    if (key) add(key, m);
  }
  // One Procedure per procedure per note: a note that says it was done and plans it again ("s/p colonoscopy 2019,
  // repeat colonoscopy in 5 years") writes the done one, with the plan's spans as part of its evidence.
  for (const [key, planned] of [...groups]) {
    if (!key.startsWith('Procedure|') || !key.endsWith('|planned')) continue;
    const done = groups.get(`${key.slice(0, -'|planned'.length)}|completed`);
    if (!done) continue;
    done.push(...planned);
    groups.delete(key);
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

/** Returns the grouping key of a mention, or undefined when the mention maps to nothing (see the README table). */
function findingKey(m: Mention, text: string, affirmedProblems: ReadonlySet<string>): string | undefined {
  const concept = conceptKey(m.concept, text, m.span);
  // ConText's experiencer, not just the collapsed assertion: "no family history of diabetes" is `negated` but about
  // a relative, and must never become the patient's refuted Condition.
  const experiencer = m.context?.experiencer ?? (m.assertion === 'family' ? 'family' : 'patient');
  if (experiencer !== 'patient') {
    // FamilyMemberHistory has no way to say a relative does *not* (or may) have a condition: only what the text
    // affirms about a relative is written, and nothing about anyone else (a roommate, a friend).
    const affirmedAboutRelative = m.kind === 'problem' && m.assertion === 'family' && (m.context?.negation ?? 'affirmed') === 'affirmed';
    return affirmedAboutRelative && experiencer === 'family' ? `FamilyMemberHistory|${m.relative ?? 'FAMMEMB'}` : undefined;
  }
  switch (m.kind) {
    case 'problem':
      if (m.assertion === 'historical' && affirmedProblems.has(concept)) return `Condition|${concept}|affirmed`;
      return `Condition|${concept}|${m.assertion}`;
    case 'medication':
      return `MedicationStatement|${concept}|${medicationStatus(m)}`;
    case 'allergy':
      if (m.assertion === 'hypothetical') return undefined;
      return `AllergyIntolerance|${concept}|${m.assertion === 'negated' ? 'refuted' : m.assertion === 'possible' ? 'unconfirmed' : 'asserted'}`;
    case 'procedure':
      // Done or planned; a procedure the text denies, hedges or puts in an if-clause ("no prior surgeries", "may need
      // AVR", "tubes if recurrent") is not written.
      if (m.assertion === 'negated' || m.assertion === 'possible') return undefined;
      if (m.assertion === 'hypothetical' && m.status !== 'planned') return undefined;
      return `Procedure|${concept}|${m.status}`;
    case 'measurement': {
      // Only measurements the note reports now: a past one ("previous BP 150/90") has no time Chartmine could state,
      // and dating it by the note would be wrong. One Observation per measured value: the same value repeated in
      // the note ("K 4.9" in the labs and again in the plan) is one resource; different values are each written.
      if (m.assertion !== 'affirmed') return undefined;
      return `Observation|${concept}|${measuredValueKey(m)}`;
    }
    default:
      return undefined;
  }
}


/** What distinguishes one measured value from another of the same concept: value(s), comparator, range, unit. */
function measuredValueKey(m: MeasurementMention): string {
  if (m.components) return m.components.map((c) => `${c.value} ${c.unit}`).join('/');
  return `${m.comparator ?? ''}${m.value ?? ''}${m.valueHigh !== undefined ? `-${m.valueHigh}` : ''} ${m.unit ?? ''}`;
}

/** Ids of possible problem mentions that share their sentence with another possible problem: a differential. */
function differentialMentions(mentions: readonly Mention[]): Set<string> {
  const bySentence = new Map<number, Mention[]>();
  for (const m of mentions) {
    if (m.kind !== 'problem' || m.assertion !== 'possible') continue;
    const list = bySentence.get(m.sentence) ?? [];
    list.push(m);
    bySentence.set(m.sentence, list);
  }
  const out = new Set<string>();
  for (const list of bySentence.values()) {
    const concepts = new Set(list.map((m) => m.concept?.id ?? `${m.span.start}`));
    if (concepts.size > 1) list.forEach((m) => out.add(m.id));
  }
  return out;
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
    case 'Procedure':
      return buildProcedure(key, group as readonly ProcedureMention[], ctx);
    case 'Observation':
      return first.kind === 'measurement' ? buildObservation(key, first as MeasurementMention, ctx, group as readonly MeasurementMention[]) : undefined;
    default:
      return undefined;
  }
}

function createContext(
  note: NoteVersion,
  text: string,
  options: MappingOptions,
  sentences: readonly Sentence[],
  differential: ReadonlySet<string>
): BuildContext {
  const documentVersionRef = `DocumentReference/${note.id}/_history/${note.versionId}`;
  return {
    note,
    text,
    options,
    toCodeableConcept(concept, span) {
      if (!concept) {
        return { text: text.slice(span.start, span.end).replace(/\s+/g, ' ').trim() };
      }
      // A name-only concept (a drug with no shipped code) is written as text alone: FHIR forbids an empty array.
      if (concept.codings.length === 0) return { text: concept.display };
      const coding: Coding[] = concept.codings.map((c) => ({ system: c.system, code: c.code, display: c.display }));
      return { coding, text: concept.display };
    },
    common(key, mentions, profiles, assertion) {
      const spans = uniqueSpans(mentions.map((m) => m.span));
      const confidence = Math.max(...mentions.map((m) => m.confidence));
      const extension: Extension[] = [
        ...spans.map((s) => derivationReference(documentVersionRef, note.attachmentPath, s)),
        { url: ASSERTION_EXTENSION_URL, valueCode: assertion ?? mentions[0].assertion },
        { url: CONFIDENCE_EXTENSION_URL, valueDecimal: Math.round(confidence * 1000) / 1000 },
        { url: PIPELINE_VERSION_EXTENSION_URL, valueString: options.pipelineVersion },
      ];
      const meta: Meta = {
        profile: [...profiles],
        tag: [
          NLP_DERIVED_TAG,
          { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: note.id },
          { system: PIPELINE_VERSION_TAG_SYSTEM, code: options.pipelineVersion },
        ],
      };
      return { identifier: findingIdentifier(note.id, key), meta, extension };
    },
    sentenceOf(m) {
      const s = sentences[m.sentence];
      return s ? { start: s.start, end: s.end } : { start: 0, end: text.length };
    },
    inDifferential(m) {
      return differential.has(m.id);
    },
    assertionOf(key) {
      return key.slice(key.lastIndexOf('|') + 1) as Assertion;
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
