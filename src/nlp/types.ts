/**
 * The NLP pipeline's vocabulary. Every position is a half-open range of UTF-16 code units into the decoded note
 * text (what JavaScript strings count), so `text.slice(span.start, span.end)` is always the exact source text.
 * Mentions carry no text: consumers slice it from the note when they need it, so a mention can be logged safely
 * by id and span without ever carrying PHI.
 */
import type { Concept } from '../terminology/types.js';

/** A half-open range `[start, end)` of UTF-16 code units in the decoded note text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Normalised section kinds. Each maps to a LOINC section code in `nlp/sections` where one exists. */
export type SectionKind =
  | 'chief-complaint'
  | 'history-present-illness'
  | 'past-medical-history'
  | 'past-surgical-history'
  | 'medications'
  | 'discharge-medications'
  | 'allergies'
  | 'family-history'
  | 'social-history'
  | 'review-of-systems'
  | 'physical-exam'
  | 'vital-signs'
  | 'results'
  | 'assessment'
  | 'plan'
  | 'assessment-and-plan'
  | 'impression'
  | 'hospital-course'
  | 'procedures'
  | 'immunizations'
  | 'other';

/** A section: its header (may be empty for the untitled preamble) and its body, both as spans. */
export interface Section {
  readonly kind: SectionKind;
  /** LOINC document-section code, when the kind has one. */
  readonly loinc?: string;
  readonly header: Span;
  readonly body: Span;
  /** Fine-grained header name from the section table (e.g. `preoperative-diagnosis`, `subjective`). */
  readonly name?: string;
}

/** A sentence (or list item / line that stands alone). */
export interface Sentence extends Span {
  /** Index into `NlpResult.sections`, or -1 when the note has no sections. */
  readonly section: number;
}

/** A token with exact offsets. `norm` is lower-cased, the only text a token keeps. */
export interface Token extends Span {
  readonly norm: string;
  readonly kind: 'word' | 'number' | 'punct';
}

/** What the text asserts about a mention (ConText categories). */
export type Assertion = 'affirmed' | 'negated' | 'possible' | 'historical' | 'family' | 'hypothetical';

/** A family member named by the text, as HL7 v3 RoleCode (e.g. `MTH`, `FTH`, `SIS`, `FAMMEMB`). */
export type RelativeCode = string;

/**
 * ConText's three properties of a mention before they are collapsed into one `Assertion`: kept so consumers (and
 * the evaluation) can tell, e.g., a negated family-history mention from a negated one about the patient.
 */
export interface ContextAttributes {
  readonly negation: 'affirmed' | 'negated' | 'possible';
  readonly temporality: 'recent' | 'historical' | 'hypothetical';
  /** `family` for relatives; `other` for anyone else who is not the patient (roommate, friend). */
  readonly experiencer: 'patient' | 'family' | 'other';
  /** The relative or other person (HL7 v3 RoleCode) when stated. */
  readonly relative?: RelativeCode;
}

/** Where a mention came from. */
export type MentionSource = 'dictionary' | 'model' | 'rule';

/** Fields every mention has. */
interface MentionBase {
  /** Stable within one text: `${kind}-${span.start}-${span.end}`. */
  readonly id: string;
  readonly span: Span;
  /** Index into `NlpResult.sentences`. */
  readonly sentence: number;
  readonly section: SectionKind | undefined;
  /** The coded concept; `undefined` when nothing in the terminology matched (written as `code.text` only). */
  readonly concept: Concept | undefined;
  readonly assertion: Assertion;
  /** For `family` assertions, the relative when stated. */
  readonly relative?: RelativeCode;
  /** The ConText properties behind `assertion`, when the rule stages set them. */
  readonly context?: ContextAttributes;
  /** 0..1: how sure the pipeline is that this span is this concept with this assertion. */
  readonly confidence: number;
  readonly sources: readonly MentionSource[];
}

/** A disorder, symptom or finding. */
export interface ProblemMention extends MentionBase {
  readonly kind: 'problem';
}

/** Route of administration, as a short code mapped to SNOMED CT in `fhir/`. */
export type RouteCode = 'oral' | 'iv' | 'subcutaneous' | 'im' | 'inhaled' | 'topical' | 'rectal' | 'sublingual' | 'other';

/** A FHIR `Timing.repeat`-shaped frequency. */
export interface SigTiming {
  readonly frequency?: number;
  readonly frequencyMax?: number;
  readonly period?: number;
  readonly periodMax?: number;
  readonly periodUnit?: 's' | 'min' | 'h' | 'd' | 'wk' | 'mo' | 'a';
  /** Event timing codes (e.g. `HS` bedtime, `MORN`, `C` with meals). */
  readonly when?: readonly string[];
  /** The abbreviation as written, normalised (e.g. `BID`), for `Timing.code`. */
  readonly code?: string;
}

/** A quantity with a UCUM unit code. */
export interface Measure {
  readonly value: number;
  /** UCUM code, e.g. `mg`, `mL`, `mm[Hg]`, `/min`. */
  readonly unit: string;
}

/** What the text says about how a medication is taken. */
export interface MedicationSig {
  /** Span of the whole sig after the drug name, if any. */
  readonly span?: Span;
  readonly strength?: Measure;
  readonly dose?: Measure;
  readonly route?: RouteCode;
  readonly timing?: SigTiming;
  readonly asNeeded?: boolean;
  /** Span of the PRN reason ("for pain"). */
  readonly asNeededFor?: Span;
  readonly duration?: Measure;
  /**
   * The next phase of a taper or an "X then Y" sig ("15 mg BID for 21 days then 20 mg daily"): its own dose,
   * timing and duration, read after "then"/"followed by". FHIR: one more `dosage` with the next `sequence`.
   */
  readonly then?: MedicationSig;
}

/** Status cues about a medication, mapped to `MedicationStatement.status`. */
export type MedicationStatus = 'active' | 'intended' | 'stopped' | 'on-hold' | 'not-taken' | 'completed' | 'unknown';

/** A drug mention with its sig. */
export interface MedicationMention extends MentionBase {
  readonly kind: 'medication';
  readonly sig: MedicationSig;
  readonly status: MedicationStatus;
  /** Whether the text states the status (a cue word, a negation, a discharge list) rather than a default. */
  readonly statusStated?: boolean;
}

/** One value of a measurement (BP has two). */
export interface MeasurementComponent {
  readonly concept: Concept;
  readonly value: number;
  readonly unit: string;
  readonly span: Span;
}

/**
 * A vital sign, lab result, scored measure (survey), imaging or procedure measure with its value, its unit in UCUM as
 * written. `category` is the FHIR observation-category code.
 */
export interface MeasurementMention extends MentionBase {
  readonly kind: 'measurement';
  readonly category: 'vital-signs' | 'laboratory' | 'survey' | 'imaging' | 'procedure';
  /** Single-valued measurements. Absent when `components` carries the values (blood pressure). */
  readonly value?: number;
  /** The high end of a written range ("LVEF 30-35%": value 30, valueHigh 35). */
  readonly valueHigh?: number;
  readonly unit?: string;
  readonly components?: readonly MeasurementComponent[];
  /** Interpretation flag as written (H, L, HH, LL, A) or derived. */
  readonly interpretation?: 'H' | 'L' | 'HH' | 'LL' | 'A' | 'N';
  /** Comparator as written (`troponin <0.01`, `eGFR >60`), for `Quantity.comparator`. */
  readonly comparator?: '<' | '<=' | '>' | '>=';
}

/** Why a measurement-shaped span was not reported as a `MeasurementMention`. */
export type MeasurementRejection =
  | 'implausible-value'
  | 'unknown-unit'
  | 'missing-unit'
  | 'systolic-not-above-diastolic';

/** A value that looked like a measurement but was rejected; carries no text, only where and why. */
export interface RejectedMeasurement {
  readonly span: Span;
  /** The measurement definition's key (e.g. `heart-rate`). */
  readonly key: string;
  readonly reason: MeasurementRejection;
}

/** An allergy: `concept` is the substance; `reaction` the reaction when stated. */
export interface AllergyMention extends MentionBase {
  readonly kind: 'allergy';
  readonly reaction?: { readonly span: Span; readonly concept: Concept | undefined };
}

/**
 * When a procedure was done, as the text states it next to the procedure: a date (`2009`, `04/2033`, `2007-08-27`,
 * normalised to FHIR `YYYY`, `YYYY-MM` or `YYYY-MM-DD`) or a phrase ("as a child", "two months ago", "at age 40").
 */
export type ProcedureTime =
  | { readonly kind: 'date'; readonly value: string; readonly span: Span }
  | { readonly kind: 'phrase'; readonly span: Span };

/**
 * Whether a procedure is done or planned: `completed` (the default: "s/p CABG", a surgical history) or `planned`
 * (a plan or scheduling cue: "plan: colonoscopy", "scheduled for TKA", "will need PICC").
 */
export type ProcedureStatus = 'completed' | 'planned';

/** A procedure (surgery, intervention): the patient's own, done or planned. */
export interface ProcedureMention extends MentionBase {
  readonly kind: 'procedure';
  readonly status: ProcedureStatus;
  readonly performed?: ProcedureTime;
}

/** Anything the pipeline found. */
export type Mention = ProblemMention | MedicationMention | MeasurementMention | AllergyMention | ProcedureMention;

/** The pipeline's result for one text. */
export interface NlpResult {
  readonly sections: readonly Section[];
  readonly sentences: readonly Sentence[];
  readonly mentions: readonly Mention[];
  /** Every token of the text, when the pipeline keeps them (the rule pipeline does). */
  readonly tokens?: readonly Token[];
  /** Measurement-shaped values the rules rejected, with the reason (e.g. `HR 500`). */
  readonly rejectedMeasurements?: readonly RejectedMeasurement[];
}

/** A component of the pipeline, for the Provenance `Device` and the software version. */
export interface ComponentInfo {
  readonly name: string;
  readonly version: string;
  /** sha256 of the artifact (model file, terminology index), when there is one. */
  readonly sha256?: string;
}

/**
 * The named stages of one note's run, for timing: `dictionary` (terminology matches over the whole text; it runs
 * first because it decides which sentences the model reads), `model` (choosing sentences, NER inference),
 * `sections` (tokens, sections, sentences), `matching` (measurements, merge, abbreviations, ConText,
 * consolidation), plus the job's `read`, `mapping` and `write`, and `plan` (the write-back diff against what the
 * server has), which runs inside `write`.
 */
export type PipelineStage = 'read' | 'dictionary' | 'sections' | 'matching' | 'model' | 'terminology' | 'mapping' | 'write' | 'plan';

/**
 * Runs one stage and returns what it returns (a promise for asynchronous stages). The caller times it, opens a span
 * around it, or just calls `fn()`: the seam for metrics and tracing, so the pure core imports neither (nor a clock).
 */
export type StageRunner = <T>(stage: PipelineStage, fn: () => T) => T;

/** The parts of one NER `recognize` call, for timing: words, sub-tokens, windows and input tensors; the forward
 * passes; log-probabilities, Viterbi and spans. */
export type NerPart = 'encode' | 'forward' | 'decode';

/**
 * Runs one part and returns what it returns (a promise for `forward`); the caller may time it. Like `StageRunner`, it
 * is a seam: the model imports no clock, and the output does not depend on the runner.
 */
export type NerPartRunner = <T>(part: NerPart, fn: () => T) => T;

/** Runs the stage, nothing else. */
export const UNTIMED_STAGE: StageRunner = (_stage, fn) => fn();

/** Options of one analysis; none changes the output. */
export interface AnalyzeOptions {
  /** Wraps each stage (default: {@link UNTIMED_STAGE}). */
  readonly stage?: StageRunner;
  /** Wraps each part of the NER model's run (encode, forward, decode), for profiles. */
  readonly modelPart?: NerPartRunner;
  /** Told how many of the model's sentences it ran on, of how many, when a model runs. */
  readonly onModelSentences?: (kept: number, total: number) => void;
}

/** The port the worker and `chartmine extract` use. Implementations are pure apart from model inference. */
export interface NlpPipeline {
  /** Pipeline name and version; changes whenever output for the same text may change. */
  readonly info: { readonly name: string; readonly version: string; readonly components: readonly ComponentInfo[] };
  analyze(text: string, options?: AnalyzeOptions): Promise<NlpResult>;
}
