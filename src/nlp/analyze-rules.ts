/**
 * The rule stages end to end for one text: tokens → sections → sentences → dictionary matches and abbreviations →
 * measurements → ConText with section context → medication sigs and statuses → allergies. Synchronous and pure
 * apart from the terminology look-ups; `createRulePipeline` wraps it in the `NlpPipeline` port.
 */
import type { Concept, SemanticGroup, TerminologyIndex, TermMatch } from '../terminology/types.js';
import { ICD10CM, SNOMED } from '../terminology/systems.js';
import { codeSense, findAbbreviations } from './abbreviations.js';
import { allergyListEnd, findAllergyRegions, isPlausibleAllergen, parseAllergyItems, reactionTextSpan } from './allergies.js';
import { applySectionContext, toAssertion } from './context/assertion.js';
import { DEFAULT_CONTEXT_SETTINGS, runContext, type ContextSettings } from './context/context.js';
import type { RuleLexicons } from './lexicons/rule-lexicons.js';
import { extractMeasurements, type FoundMeasurement } from './measurements.js';
import { splitCombinationProducts } from './combination-drugs.js';
import { lastPhase, parseSig } from './medication-sig.js';
import { detectProcedureStatus, findProcedureTime, isProcedureConcept } from './procedures.js';
import { detectMedicationStatusWithCue, medicationHistoricalHolds, medicationNegationHolds } from './medication-status.js';
import { detectSections, findSubheaderStarts, type NamedSection } from './sections.js';
import { splitSentences } from './sentences.js';
import { mergeModelAndDictionary } from './ner/merge.js';
import type { NerLabel, NerSpan } from './ner/types.js';
import { firstTokenAtOrAfter, tokenize } from './tokenize.js';
import type {
  AllergyMention,
  Assertion,
  ContextAttributes,
  MeasurementMention,
  MedicationMention,
  Mention,
  MentionSource,
  NlpResult,
  ProblemMention,
  ProcedureMention,
  SectionKind,
  Sentence,
  Span,
  StageRunner,
  Token,
} from './types.js';
import { UNTIMED_STAGE } from './types.js';

/** What the rule analysis needs. */
export interface RuleAnalysisDeps {
  readonly terminology: TerminologyIndex;
  readonly lexicons: RuleLexicons;
  readonly contextSettings?: ContextSettings;
  /** Keep spans only the model found that the terminology cannot code (`NER_WRITE_UNCODED`). Default false. */
  readonly modelOnlyUncoded?: boolean;
}

type CandidateKind = 'problem' | 'medication' | 'allergy' | 'procedure';

/** A dictionary match, abbreviation or model span before it becomes a candidate. */
interface MatchCandidate {
  readonly span: Span;
  readonly concept: Concept | undefined;
  readonly score: number;
  readonly abbreviation: boolean;
  readonly sources: readonly MentionSource[];
  /** The model's label, for a model-only span the terminology could not code. */
  readonly label?: NerLabel;
}

interface Candidate {
  readonly kind: CandidateKind;
  readonly span: Span;
  readonly concept: Concept | undefined;
  readonly confidence: number;
  readonly sources: readonly MentionSource[];
  sentence: number;
}

/** Terminology groups a model-only span is looked up in, by the model's label (TEST spans carry no value: skipped). */
const GROUPS_OF_LABEL: Readonly<Record<NerLabel, readonly SemanticGroup[] | undefined>> = {
  PROBLEM: ['disorder', 'finding'],
  DRUG: ['clinical-drug', 'medication'],
  TEST: undefined,
};

/**
 * A span only the model found, that the terminology cannot code, becomes a (`code.text`-only) mention only when the
 * model is this sure of it: such spans are unchecked by any dictionary, and a small model's less certain ones are
 * mostly fragments ("history of", "finding"). Coded model-only spans need only the merge's minimum score.
 */
export const MODEL_ONLY_UNCODED_MIN_SCORE = 0.95;

/**
 * Words a model-only span may not consist of: they name the kind of thing, not a finding ("problem", "complaint"),
 * and the terminology has concepts for some of them (SNOMED CT "Problem (finding)").
 */
export const MODEL_ONLY_GENERIC_WORDS: ReadonlySet<string> = new Set([
  'problem', 'problems', 'complaint', 'complaints', 'finding', 'findings', 'disease', 'diseases', 'disorder',
  'disorders', 'symptom', 'symptoms', 'condition', 'conditions', 'diagnosis', 'history', 'history of', 'illness',
  'situation', 'substance', 'medication', 'medications', 'drug', 'drugs', 'lesion', 'mass', 'pain',
]);

/** Confidence of an abbreviation coded without ambiguity, chosen by cues, or by default only. */
const CONFIDENCE_ABBREVIATION = 0.85;
const CONFIDENCE_ABBREVIATION_CUED = 0.75;
const CONFIDENCE_ABBREVIATION_DEFAULT = 0.6;
const CONFIDENCE_MEASUREMENT = 0.95;
/** How far after an allergen its reaction may start, in characters ("penicillin (hives)", "sulfa - rash"). */
const REACTION_WINDOW_CHARS = 40;

/** Right after a finding's words, "-appearing" makes it a description of the patient's look ("tired-appearing"). */
const APPEARANCE_AFTER_RE = /^[-\s]?appearing\b/i;

const ALLERGY_BEFORE_RE = /\b(?:allergic|allergy|allergies|allergy to|allergies to|intolerant|intolerance|sensitivity)\s*(?:to|:)?\s*$/i;
const ALLERGY_AFTER_RE = /^\s*(?:allergy|allergies|intolerance|sensitivity)\b/i;

/**
 * Runs every rule stage over a text.
 * @param text - the note text.
 * @param deps - terminology index and compiled lexicons.
 * @param modelSpans - the NER model's spans over the same text, when a model runs: merged with the dictionary
 *   (`mergeModelAndDictionary`: the model vetoes ambiguous dictionary matches in context and adds what the
 *   dictionary missed, coded by exact term look-up or left uncoded).
 * @param stage - wraps the `sections` and `matching` stages (timing, spans); the output does not depend on it.
 * @param dictionaryMatches - `deps.terminology.match(text)`, when the caller has already run it (the pipeline does,
 *   to choose the sentences the model reads); otherwise the `matching` stage runs it.
 * @returns sections, sentences, tokens, mentions (sorted by start) and rejected measurements.
 */
export function analyzeWithRules(
  text: string,
  deps: RuleAnalysisDeps,
  modelSpans?: readonly NerSpan[],
  stage: StageRunner = UNTIMED_STAGE,
  dictionaryMatches?: readonly TermMatch[]
): NlpResult {
  const structure = stage('sections', () => readStructure(text, deps.lexicons));
  return stage('matching', () => matchMentions(text, deps, structure, modelSpans, dictionaryMatches));
}

/** Tokens, sections and sentences: the `sections` stage. */
interface TextStructure {
  readonly tokens: readonly Token[];
  readonly sections: NamedSection[];
  readonly sentences: Sentence[];
  readonly headers: readonly Span[];
  readonly sentenceTokens: readonly (readonly [number, number])[];
}

function readStructure(text: string, lexicons: RuleLexicons): TextStructure {
  const tokens = tokenize(text);
  const sections = detectSections(text, tokens, lexicons.sections);
  const sentences = splitSentences(text, sections, findSubheaderStarts(text, tokens, lexicons.sections));
  const headers = sections.filter((s) => s.header.end > s.header.start).map((s) => s.header);
  const sentenceTokens = sentences.map((s) => [firstTokenAtOrAfter(tokens, s.start), firstTokenAtOrAfter(tokens, s.end)] as const);
  return { tokens, sections, sentences, headers, sentenceTokens };
}

/** Dictionary and model candidates, measurements, ConText and the mentions built from them: the `matching` stage. */
function matchMentions(
  text: string,
  deps: RuleAnalysisDeps,
  structure: TextStructure,
  modelSpans: readonly NerSpan[] | undefined,
  dictionaryMatches: readonly TermMatch[] | undefined
): NlpResult {
  const { lexicons } = deps;
  const settings = deps.contextSettings ?? DEFAULT_CONTEXT_SETTINGS;
  const { tokens, sections, sentences, headers, sentenceTokens } = structure;

  const measured = extractMeasurements(text, tokens, lexicons.measurements, headers);
  const allMatches = dictionaryMatches ?? deps.terminology.match(text);
  const collected = collectCandidates(text, tokens, sentences, sentenceTokens, sections, headers, measured.found, deps, modelSpans, allMatches);
  const { candidates, reactions: listedReactions } = resolveAllergyLists(text, sentences, sections, collected);

  // ConText, sentence by sentence, over dictionary candidates and measurements together
  const bySentence = new Map<number, { cands: Candidate[]; meas: FoundMeasurement[] }>();
  for (const c of candidates) group(bySentence, c.sentence).cands.push(c);
  const measurementSentence = measured.found.map((m) => sentenceIndexOf(sentences, m.span.start));
  measured.found.forEach((m, i) => group(bySentence, measurementSentence[i]).meas.push(m));

  const mentions: Mention[] = [];
  for (const [si, { cands, meas }] of bySentence) {
    const sentence = sentences[si];
    const [ts, te] = sentenceTokens[si];
    const spans = [...cands.map((c) => c.span), ...meas.map((m) => m.span)];
    const targets = spans.map((s) => toTokenRange(tokens, s, ts, te));
    const decisions = runContext(tokens, ts, te, targets, lexicons.context, settings);
    const inSection = sentence.section >= 0 ? sections[sentence.section] : undefined;
    // past the end of an allergy list, the text is no longer about allergies (and not historical because of them)
    const section = inSection?.kind === 'allergies' && sentence.start >= allergyListEnd(text, inSection) ? undefined : inSection;
    const sectionContext = section ? lexicons.sections.contextByName.get(section.name) : undefined;
    const attrsOf = (i: number, kind?: CandidateKind, concept?: Concept): ContextAttributes => {
      const { triggers, ...ctx } = decisions[i];
      const attrs = kind === 'problem' ? pastConceptAttributes(text, concept, ctx, triggers) : ctx;
      // A drug named in a history section ("PMH: ... He is on amiodarone") is not thereby a past drug: its status
      // comes from its own cues (medication-status.ts), so the section's historical context does not apply to it.
      if (kind === 'medication' && sectionContext === 'historical') return unNegatedDrug(i, kind, attrs);
      return unNegatedDrug(i, kind, applySectionContext(attrs, sectionContext));
    };
    // a negation cut off from the drug ("(not taking - ran out), omeprazole 20 mg") does not make it not-taken
    const unNegatedDrug = (i: number, kind: CandidateKind | undefined, attrs: ContextAttributes): ContextAttributes => {
      if (kind !== 'medication') return attrs;
      let out = attrs;
      if (out.negation === 'negated' && !medicationNegationHolds(text, spans[i], decisions[i].triggers)) out = { ...out, negation: 'affirmed' };
      // "Meds prior to admission: lisinopril 10 mg daily" — the header's cue does not make the listed drug a past one
      if (decisions[i].temporality === 'historical' && out.temporality === 'historical' && !medicationHistoricalHolds(text, spans[i], decisions[i].triggers))
        out = { ...out, temporality: 'recent' };
      return out;
    };
    const reactionOf = attachReactions(cands);
    cands.forEach((c, i) => {
      if (reactionOf.consumed.has(c)) return;
      const attrs = attrsOf(i, c.kind, c.concept);
      const base = toBase(c.kind, c.span, si, section, c.concept, attrs, c.confidence, c.sources);
      if (c.kind === 'problem') {
        if (isNormalExamNegative(section?.kind, base.assertion)) return;
        // only a past the sentence itself states ("history of tobacco use", "quit"), not a social-history section's
        const ownPast = decisions[i].temporality === 'historical';
        const concept = ownPast ? pastProblemConcept(base.concept, base.assertion, deps.terminology) : base.concept;
        mentions.push({ ...base, concept, kind: 'problem' } satisfies ProblemMention);
      }
      else if (c.kind === 'allergy') {
        const listed = listedReactions.get(c);
        const next = reactionOf.reactions.get(c);
        const reaction = listed ?? (next ? { span: next.span, concept: next.concept } : undefined);
        mentions.push({
          ...base,
          kind: 'allergy',
          ...(reaction ? { reaction: { span: reaction.span, concept: reaction.concept } } : {}),
        } satisfies AllergyMention);
      } else if (c.kind === 'procedure') {
        const status = detectProcedureStatus(text, c.span, sentence, section?.kind, attrs);
        const performed = status === 'completed' ? findProcedureTime(text, c.span, sentence) : undefined;
        mentions.push({ ...base, kind: 'procedure', status, ...(performed ? { performed } : {}) } satisfies ProcedureMention);
      } else {
        const limit = nextStart(cands, meas, c.span.end, sentence.end);
        const sig = parseSig(text, c.span.end, limit);
        const { status, cued } = detectMedicationStatusWithCue(
          text,
          sentence,
          c.span,
          lastPhase(sig).span?.end ?? c.span.end,
          section?.kind,
          attrs.negation === 'negated'
        );
        mentions.push({ ...base, kind: 'medication', sig, status, statusStated: cued } satisfies MedicationMention);
      }
    });
    meas.forEach((m, j) => {
      // a value was measured: only a temporality cue of its own ("last visit wt 90 kg", "goal A1c <7", "if K >5.5")
      // qualifies it, and only a hypothetical or family section; a value listed under past history is still a value
      const sectionContext = section ? lexicons.sections.contextByName.get(section.name) : undefined;
      const temporality = measurementTemporality(text, m.span, decisions[cands.length + j].triggers, sectionContext);
      const attrs: ContextAttributes = { negation: 'affirmed', temporality, experiencer: 'patient' };
      const base = toBase('measurement', m.span, si, section, m.concept, attrs, CONFIDENCE_MEASUREMENT, ['rule']);
      mentions.push({
        ...base,
        kind: 'measurement',
        category: m.category,
        ...(m.value !== undefined ? { value: m.value, unit: m.unit } : {}),
        ...(m.valueHigh !== undefined ? { valueHigh: m.valueHigh } : {}),
        ...(m.components ? { components: m.components } : {}),
        ...(m.interpretation ? { interpretation: m.interpretation } : {}),
        ...(m.comparator ? { comparator: m.comparator } : {}),
      } satisfies MeasurementMention);
    });
  }
  mentions.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return {
    sections,
    sentences,
    mentions: splitCombinationProducts(mentions, deps.terminology),
    tokens,
    rejectedMeasurements: measured.rejected,
  };
}

function collectCandidates(
  text: string,
  tokens: readonly Token[],
  sentences: readonly Sentence[],
  sentenceTokens: readonly (readonly [number, number])[],
  sections: readonly NamedSection[],
  headers: readonly Span[],
  measurements: readonly FoundMeasurement[],
  deps: RuleAnalysisDeps,
  modelSpans: readonly NerSpan[] | undefined,
  dictionaryMatches: readonly TermMatch[]
): Candidate[] {
  const blocked = [...headers, ...measurements.map((m) => m.span)].sort((a, b) => a.start - b.start);
  const isBlocked = toBlockTest(blocked, measurements);
  const termMatches = dictionaryMatches.filter((m) => !isBlocked(m.start, m.end));
  const matches: MatchCandidate[] =
    modelSpans
      ? hybridMatches(text, termMatches, modelSpans.filter((m) => !isBlocked(m.start, m.end)), deps.terminology, deps.modelOnlyUncoded ?? false)
      : termMatches.map((m) => ({ span: { start: m.start, end: m.end }, concept: m.concept, score: m.score, abbreviation: false, sources: ['dictionary'] }));

  // abbreviations: add what the dictionary missed; re-decide ambiguous ones the dictionary matched
  const byStart = new Map(matches.map((m, i) => [m.span.start, i]));
  const removed = new Set<number>();
  const added: typeof matches = [];
  sentences.forEach((s, si) => {
    const [ts, te] = sentenceTokens[si];
    const section = s.section >= 0 ? sections[s.section].kind : undefined;
    for (const hit of findAbbreviations(text, tokens, ts, te, section, deps.lexicons.abbreviations)) {
      if (overlapsAny(hit.span.start, hit.span.end, blocked)) continue;
      const same = byStart.get(hit.span.start);
      const sameMatch = same !== undefined && matches[same].span.end === hit.span.end ? same : undefined;
      if (sameMatch !== undefined && hit.senseCount === 1) continue; // the dictionary already coded it
      const concept = hit.sense ? codeSense(hit.sense, deps.terminology) : undefined;
      if (sameMatch !== undefined) removed.add(sameMatch);
      else {
        // a listed phrase longer than the dictionary's matches inside it is the more specific reading ("total knee
        // arthroplasty" is a total knee replacement, not the "knee arthroplasty" inside it); a partial overlap loses
        const overlapping = matches.flatMap((m, mi) => (m.span.start < hit.span.end && hit.span.start < m.span.end ? [mi] : []));
        if (overlapping.length > 0) {
          const covered = overlapping.every((mi) => !removed.has(mi) && matches[mi].span.start >= hit.span.start && matches[mi].span.end <= hit.span.end);
          if (!covered || !concept) continue;
          overlapping.forEach((mi) => removed.add(mi));
        }
      }
      if (!concept) continue;
      const score =
        hit.senseCount === 1
          ? CONFIDENCE_ABBREVIATION
          : hit.sense?.isDefault
            ? CONFIDENCE_ABBREVIATION_DEFAULT
            : CONFIDENCE_ABBREVIATION_CUED;
      added.push({ span: hit.span, concept, score, abbreviation: true, sources: ['dictionary', 'rule'] });
    }
  });

  const all = [...matches.filter((_, i) => !removed.has(i)), ...added].sort((a, b) => a.span.start - b.span.start);
  const candidates: Candidate[] = [];
  for (const m of all) {
    const si = sentenceIndexOf(sentences, m.span.start);
    if (si < 0) continue;
    const kind = candidateKind(text, m.span, m.concept, m.label);
    if (!kind) continue;
    candidates.push({
      kind,
      span: m.span,
      concept: m.concept,
      confidence: m.abbreviation || m.sources.includes('model') ? m.score : Math.min(1, m.score) * 0.95,
      sources: m.sources,
      sentence: si,
    });
  }
  return candidates;
}

/** Dictionary matches merged with model spans; model-only spans are coded by exact look-up of their words. */
function hybridMatches(
  text: string,
  termMatches: Parameters<typeof mergeModelAndDictionary>[1],
  modelSpans: readonly NerSpan[],
  terminology: TerminologyIndex,
  keepUncoded: boolean
): MatchCandidate[] {
  const { spans } = mergeModelAndDictionary(text, termMatches, modelSpans);
  return spans.flatMap<MatchCandidate>((s) => {
    if (s.concept) {
      return [{ span: { start: s.start, end: s.end }, concept: s.concept, score: s.confidence, abbreviation: false, sources: s.sources }];
    }
    const groups = s.label ? GROUPS_OF_LABEL[s.label] : undefined;
    const surface = text.slice(s.start, s.end);
    if (!groups || !s.label || MODEL_ONLY_GENERIC_WORDS.has(surface.toLowerCase())) return [];
    const written = (concept: Concept | undefined): MatchCandidate[] => [
      { span: { start: s.start, end: s.end }, concept, score: s.confidence, abbreviation: false, sources: s.sources, label: s.label },
    ];
    const keptUncoded = keepUncoded && (s.modelScore ?? 0) >= MODEL_ONLY_UNCODED_MIN_SCORE;
    // A phrase the matcher reads as a term on its own but not here was turned down in context ("influenza" before
    // "vaccine", "fall" after "this"): the model's span does not overrule that.
    if (rejectedInContext(surface, terminology)) return keptUncoded ? written(undefined) : [];
    const concept = terminology.lookupTerm(surface, groups);
    return concept || keptUncoded ? written(concept) : [];
  });
}

/**
 * Whether the matcher codes this phrase when it stands alone: a model-only span is one the matcher did not code in
 * its sentence, so such a phrase was turned down there by context.
 * @param surface - the span's text.
 * @param terminology - the index.
 * @returns whether a match of the whole phrase exists out of context.
 */
function rejectedInContext(surface: string, terminology: TerminologyIndex): boolean {
  return terminology.match(surface).some((m) => m.start === 0 && m.end === surface.length);
}

function candidateKind(
  text: string,
  span: Span,
  concept: Concept | undefined,
  label?: NerLabel
): CandidateKind | undefined {
  const groupName = concept?.group ?? (label === 'PROBLEM' ? 'disorder' : label === 'DRUG' ? 'medication' : undefined);
  if (groupName === 'allergen') return 'allergy';
  if (groupName === 'medication' || groupName === 'clinical-drug') {
    const before = text.slice(Math.max(0, span.start - 30), span.start);
    const after = text.slice(span.end, span.end + 15);
    if (ALLERGY_BEFORE_RE.test(before) || ALLERGY_AFTER_RE.test(after)) return 'allergy';
    return 'medication';
  }
  if (groupName === 'disorder' || groupName === 'finding') {
    // "tired-appearing", "ill appearing": how the patient looks on exam, not a finding a coder records
    if (APPEARANCE_AFTER_RE.test(text.slice(span.end, span.end + 12))) return undefined;
    return concept && (isCareEncounterConcept(concept) || isNoKnownAllergyConcept(concept)) ? undefined : 'problem';
  }
  if (groupName === 'procedure' && concept && isProcedureConcept(concept)) return 'procedure';
  return undefined;
}

/**
 * ICD-10-CM categories that name a step of care, not a state of the patient: encounters for examination and
 * screening (Z00–Z13), counseling (Z71), other encounters with health services (Z76). "Counseled on diet" is
 * education given, which the clinical-notes GUIDELINES do not annotate.
 */
export const CARE_ENCOUNTER_ICD10CM_PREFIXES: readonly string[] = ['Z00', 'Z01', 'Z02', 'Z03', 'Z04', 'Z05', 'Z08', 'Z09', 'Z11', 'Z12', 'Z13', 'Z71', 'Z76'];

/**
 * A concept whose ICD-10-CM codes all name a step of care (and that has at least one).
 * @param concept - the concept.
 * @returns whether it is never written as a problem.
 */
export function isCareEncounterConcept(concept: Concept): boolean {
  const icd = concept.codings.filter((c) => c.system === ICD10CM).map((c) => c.code.replace('.', '').toUpperCase());
  return icd.length > 0 && icd.every((code) => CARE_ENCOUNTER_ICD10CM_PREFIXES.some((p) => code.startsWith(p)));
}

/** SNOMED CT "No known (drug, food, environmental) allergy": the allergy list's answer, never a problem. */
const NO_KNOWN_ALLERGY_SNOMED: ReadonlySet<string> = new Set(['409137002', '716186003', '428607008', '429625007', '428197003']);

/**
 * Whether a concept states that the patient has no known allergy.
 * @param concept - a concept.
 * @returns whether it is one of the "no known allergy" findings.
 */
export function isNoKnownAllergyConcept(concept: Concept): boolean {
  return concept.codings.some((c) => c.system === SNOMED && NO_KNOWN_ALLERGY_SNOMED.has(c.code));
}

/** Tobacco use in the past is a former smoker (Ex-smoker, Z87.891), not current tobacco use (Z72.0). */
const TOBACCO_USE_SNOMED: ReadonlySet<string> = new Set(['77176002', '110483000', '65568007']);
const EX_SMOKER_SNOMED = '8517006';

/**
 * The concept a past problem is recorded as: "history of tobacco use", "smoked for 20 years" (historical) is a
 * former smoker.
 * @param concept - the problem's concept.
 * @param assertion - its assertion.
 * @param terminology - the index.
 * @returns the concept to write.
 */
function pastProblemConcept(concept: Concept | undefined, assertion: Assertion, terminology: TerminologyIndex): Concept | undefined {
  if (!concept || assertion !== 'historical') return concept;
  if (!concept.codings.some((c) => c.system === SNOMED && TOBACCO_USE_SNOMED.has(c.code))) return concept;
  return terminology.lookup(SNOMED, EX_SMOKER_SNOMED) ?? concept;
}

/**
 * A finding denied in the physical examination ("no murmurs, rubs or gallops", "abdomen without guarding"): the
 * normal examination, not a fact a coder records (clinical-notes GUIDELINES: normal physical-exam negatives are
 * optional). Negatives from the history, the review of systems and tests or imaging are kept.
 * @param section - the mention's section kind.
 * @param assertion - the mention's assertion.
 * @returns whether the problem mention is left out.
 */
export function isNormalExamNegative(section: SectionKind | undefined, assertion: Assertion): boolean {
  return section === 'physical-exam' && assertion === 'negated';
}

/** A word that says something stopped: ConText reads it as a negation ("quit smoking"). */
const CESSATION_TRIGGER_RE = /^(?:quit|quits|quitting|stopped|gave\s+up)$/i;

/**
 * A concept that already means the patient's past ("Ex-smoker", "Personal history of …"): all its ICD-10-CM codes are
 * personal-history Z-codes, or its name starts with "ex-" or "former". A "History of <procedure>" status (CABG, a
 * stent) describes the patient now and is not one.
 * @param concept - the concept.
 * @returns whether the concept names a past state.
 */
export function isPastStateConcept(concept: Concept): boolean {
  const icd = concept.codings.filter((c) => c.system === ICD10CM).map((c) => c.code.replace('.', '').toUpperCase());
  if (icd.length > 0 && icd.every((code) => /^Z(?:85|86|87|92)/.test(code))) return true;
  return /^(?:ex-|former\b)/i.test(concept.display);
}

/**
 * A concept that itself means the past ("Ex-smoker", "Personal history of …") is historical when the patient has
 * it, and the cessation word of "Former smoker, quit 2019" does not deny it (clinical-notes GUIDELINES: a former
 * smoker is historical). A real denial ("no history of …"), doubt or an if-clause keeps ConText's reading.
 * @param text - the note text.
 * @param concept - the mention's concept.
 * @param attrs - ConText's attributes.
 * @param triggers - the triggers that decided them (character offsets).
 * @returns the attributes to use.
 */
export function pastConceptAttributes(
  text: string,
  concept: Concept | undefined,
  attrs: ContextAttributes,
  triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[]
): ContextAttributes {
  if (!concept || attrs.negation === 'possible' || attrs.temporality === 'hypothetical' || !isPastStateConcept(concept)) return attrs;
  if (attrs.negation === 'negated') {
    const negation = triggers.find((t) => t.category === 'negated');
    if (!negation || !CESSATION_TRIGGER_RE.test(text.slice(negation.start, negation.end))) return attrs;
  }
  return { ...attrs, negation: 'affirmed', temporality: 'historical' };
}

/** Confidence of an allergen the dictionary could not code, written as text from an allergy list. */
const CONFIDENCE_UNCODED_ALLERGEN = 0.7;

type Reaction = { readonly span: Span; readonly concept: Concept | undefined };

/**
 * Allergy lists (`allergies.ts`) joined with the candidates: the allergen of each item becomes an allergy (coded by
 * the dictionary's match inside it, else as text when it looks like a substance: "adhesive tape", "IV contrast"),
 * the problems in its reaction become its reaction and are never written as Conditions; a problem anywhere in an
 * Allergies section or inline allergy list is a reaction too. A tolerated substance ("tolerated cefazolin without
 * reaction") is not an allergy.
 */
function resolveAllergyLists(
  text: string,
  sentences: readonly Sentence[],
  sections: readonly NamedSection[],
  candidates: readonly Candidate[]
): { candidates: Candidate[]; reactions: Map<Candidate, Reaction> } {
  const regions = findAllergyRegions(text, sentences, sections);
  if (regions.length === 0) return { candidates: [...candidates], reactions: new Map() };
  const replaced = new Map<Candidate, Candidate | undefined>();
  const added: Candidate[] = [];
  const reactions = new Map<Candidate, Reaction>();
  const inside = (c: Candidate, span: Span): boolean => c.span.start < span.end && span.start < c.span.end;
  for (const region of regions) {
    const inRegion = candidates.filter((c) => c.sentence === region.sentence && inside(c, region));
    const isList = text.slice(region.start - 12, region.start).search(/allerg\w*\s+to\s*$|intoleran\w*\s+(?:of|to)\s*$|sensitivity\s+to\s*$/i) < 0;
    for (const item of parseAllergyItems(text, region)) {
      // prose after "allergic to X and ...": the list ended ("... and takes lisinopril")
      if (item.prose && !isList) break;
      if (item.prose) continue;
      const substances = inRegion.filter((c) => c.kind !== 'problem' && c.kind !== 'procedure' && inside(c, item.allergen));
      if (item.tolerated) {
        for (const c of substances) if (c.kind === 'allergy') replaced.set(c, c.concept?.group === 'allergen' ? undefined : { ...c, kind: 'medication' });
        continue;
      }
      let allergens: Candidate[] = substances.map((c) => {
        const a: Candidate = { ...c, kind: 'allergy' };
        replaced.set(c, a);
        return a;
      });
      if (allergens.length === 0 && isPlausibleAllergen(text, item.allergen)) {
        const a: Candidate = { kind: 'allergy', span: item.allergen, concept: undefined, confidence: CONFIDENCE_UNCODED_ALLERGEN, sources: ['rule'], sentence: region.sentence };
        added.push(a);
        allergens = [a];
      }
      if (allergens.length === 0) continue;
      for (const c of inRegion) if (c.kind === 'problem' && inside(c, item.allergen)) replaced.set(c, undefined);
      const problems = item.reaction ? inRegion.filter((c) => c.kind === 'problem' && inside(c, item.reaction as Span)) : [];
      problems.forEach((c) => replaced.set(c, undefined));
      const textSpan = problems.length === 0 && item.reaction ? reactionTextSpan(text, item.reaction) : undefined;
      const reaction: Reaction | undefined = problems.length > 0 ? { span: problems[0].span, concept: problems[0].concept } : textSpan ? { span: textSpan, concept: undefined } : undefined;
      if (reaction) for (const a of allergens) reactions.set(a, reaction);
    }
    // a list is only allergens and reactions: nothing in it is the patient's Condition
    if (isList) for (const c of inRegion) if (c.kind === 'problem' && !replaced.has(c)) replaced.set(c, undefined);
  }
  const out: Candidate[] = [];
  for (const c of candidates) {
    if (!replaced.has(c)) out.push(c);
    else {
      const r = replaced.get(c);
      if (r) out.push(r);
    }
  }
  out.push(...added);
  out.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { candidates: out, reactions };
}

/** In an allergy list, a problem right after an allergen is its reaction ("penicillin (hives)"). */
function attachReactions(cands: readonly Candidate[]): {
  reactions: Map<Candidate, Candidate>;
  consumed: Set<Candidate>;
} {
  const reactions = new Map<Candidate, Candidate>();
  const consumed = new Set<Candidate>();
  for (let i = 0; i < cands.length; i++) {
    const a = cands[i];
    if (a.kind !== 'allergy') continue;
    const next = cands[i + 1];
    if (next && next.kind === 'problem' && next.span.start - a.span.end <= REACTION_WINDOW_CHARS) {
      reactions.set(a, next);
      consumed.add(next);
    }
  }
  return { reactions, consumed };
}

function toBase(
  kind: Mention['kind'],
  span: Span,
  sentence: number,
  section: NamedSection | undefined,
  concept: Concept | undefined,
  attrs: ContextAttributes,
  confidence: number,
  sources: readonly MentionSource[]
): Omit<ProblemMention, 'kind'> {
  const { assertion, relative } = toAssertion(attrs);
  return {
    id: `${kind}-${span.start}-${span.end}`,
    span,
    sentence,
    section: section?.kind,
    concept,
    assertion,
    ...(relative ? { relative } : {}),
    context: attrs,
    confidence: Math.round(confidence * 1000) / 1000,
    sources,
  };
}

/**
 * The temporality of a measured value: a history or hypothetical trigger counts only when it is the value's own —
 * inside its span ("creatinine baseline 1.3") or just before it in the same clause ("prior BNP 2,880", "if K >5.5"),
 * with no comma, semicolon, parenthesis or line break in between — so "(prior 2,880), Hgb 13.1" leaves the
 * hemoglobin current. A hypothetical section (return precautions) makes every value hypothetical.
 */
function measurementTemporality(
  text: string,
  span: Span,
  triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[],
  sectionContext: string | undefined
): ContextAttributes['temporality'] {
  if (sectionContext === 'hypothetical') return 'hypothetical';
  let temporality: ContextAttributes['temporality'] = 'recent';
  for (const t of triggers) {
    if (t.category !== 'historical' && t.category !== 'hypothetical') continue;
    const inside = t.start >= span.start && t.start < span.end;
    const before = t.end <= span.start && span.start - t.end <= 40 && !/[,;()\n]/.test(text.slice(t.end, span.start));
    if (!inside && !before) continue;
    if (t.category === 'hypothetical') return 'hypothetical';
    temporality = 'historical';
  }
  return temporality;
}

function nextStart(cands: readonly Candidate[], meas: readonly FoundMeasurement[], after: number, fallback: number): number {
  let limit = fallback;
  for (const c of cands) if (c.span.start >= after && c.span.start < limit && c.kind !== 'problem') limit = c.span.start;
  for (const m of meas) if (m.span.start >= after && m.span.start < limit) limit = m.span.start;
  return limit;
}

function group<T>(map: Map<number, { cands: T[]; meas: FoundMeasurement[] }>, key: number): { cands: T[]; meas: FoundMeasurement[] } {
  let g = map.get(key);
  if (!g) {
    g = { cands: [], meas: [] };
    map.set(key, g);
  }
  return g;
}

/** Index of the sentence containing `offset`, or the last one starting before it; -1 when there is none. */
function sentenceIndexOf(sentences: readonly Sentence[], offset: number): number {
  let lo = 0;
  let hi = sentences.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sentences[mid].start <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function toTokenRange(tokens: readonly Token[], span: Span, ts: number, te: number): { startToken: number; endToken: number } {
  const s = Math.max(ts, Math.min(te, firstTokenAtOrAfter(tokens, span.start)));
  const e = Math.max(s + 1, Math.min(te, firstTokenAtOrAfter(tokens, span.end)));
  return { startToken: s, endToken: e };
}

/**
 * Which term matches the section headers and measurements hide. A scored symptom ("R knee pain 6/10", "chest pain
 * 8/10") is both: the score's measurement starts at its alias ("pain"), and a longer finding that ends inside it and
 * starts before it names the symptom the score rates, so it stays a problem. "pain 7/10" alone stays only the score.
 * @param blocked - header and measurement spans, sorted by start.
 * @param measurements - the measurements found.
 * @returns whether a span is hidden.
 */
function toBlockTest(blocked: readonly Span[], measurements: readonly FoundMeasurement[]): (start: number, end: number) => boolean {
  const scores = measurements.filter((m) => m.category === 'survey').map((m) => m.span);
  return (start, end) => {
    for (const s of blocked) {
      if (s.start >= end) return false;
      if (start >= s.end) continue;
      const ratesThisSymptom = start < s.start && end <= s.end && scores.some((x) => x.start === s.start && x.end === s.end);
      if (!ratesThisSymptom) return true;
    }
    return false;
  };
}

function overlapsAny(start: number, end: number, spans: readonly Span[]): boolean {
  for (const s of spans) {
    if (s.start >= end) return false;
    if (start < s.end && s.start < end) return true;
  }
  return false;
}
