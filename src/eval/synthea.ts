/**
 * `chartmine eval synthea`: codes every Synthea note and compares the codes with the Condition / MedicationRequest
 * (and, in the single-patient bundle, Observation) resources Synthea generated for the same encounter.
 *
 * Rules (also in the README):
 * - Encounter scope: Synthea's note template narrates the encounter in "Assessment and Plan" ("Patient is presenting
 *   with …", "The patient was prescribed …"); the History of Present Illness lists earlier conditions and
 *   "Medications" the standing medication list, which belong to earlier encounters. So an extraction counts for the
 *   encounter when its span starts inside "# Assessment and Plan"; extractions elsewhere are ignored.
 * - Code level: unique codes per note. Conditions compare SNOMED CT codes, MedicationRequests RxNorm codes (and, as
 *   a second row, their RxNorm ingredients), Observations LOINC codes.
 * - Stated: a gold item is stated when its display occurs in the note text (case-insensitive). Unstated gold items
 *   cannot be found from the text; they are counted separately and excluded from precision/recall/F1.
 * - Split: the 3 held-out patients are the headline; the other 10 are development (the index was built with them).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { MissingInputError } from '../errors.js';
import type { Mention } from '../nlp/types.js';
import { isHeldOutPatient } from '../terminology/build/synthea-split.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { LOINC, RXNORM, SNOMED } from '../terminology/systems.js';
import type { ConceptCoding, TerminologyIndex } from '../terminology/types.js';
import type { EvalReport, EvalSuite, MetricRow } from './suite.js';
import { formatMetricTable, toMetricRow } from './suite.js';

/** The FHIR resource an extraction would become. */
export type ExtractedResourceType = 'Condition' | 'MedicationRequest' | 'Observation';

/** One coded extraction from a note. */
export interface ExtractedCode {
  readonly resourceType: ExtractedResourceType;
  readonly start: number;
  readonly end: number;
  readonly codings: readonly ConceptCoding[];
  /** For medications, the RxNorm ingredient codings. */
  readonly ingredients?: readonly ConceptCoding[];
}

/** Codes a note's text. The suite never logs the text or the extractions. */
export type ExtractFn = (text: string) => Promise<readonly ExtractedCode[]>;

/**
 * Extraction with the dictionary matcher alone: disorder/finding → Condition, medication/clinical drug →
 * MedicationRequest, observable → Observation.
 * @param index - the terminology index.
 * @returns the extraction function.
 */
export function matcherExtractor(index: TerminologyIndex): ExtractFn {
  return (text) =>
    Promise.resolve(
      index.match(text).flatMap((m): ExtractedCode[] => {
        const g = m.concept.group;
        const resourceType: ExtractedResourceType | undefined =
          g === 'disorder' || g === 'finding'
            ? 'Condition'
            : g === 'medication' || g === 'clinical-drug'
              ? 'MedicationRequest'
              : g === 'observable'
                ? 'Observation'
                : undefined;
        if (!resourceType) return [];
        return [{ resourceType, start: m.start, end: m.end, codings: m.concept.codings, ingredients: m.concept.ingredients }];
      })
    );
}

/**
 * Converts NLP pipeline mentions (e.g. from `createRulePipeline`) to extractions: affirmed problems → Condition,
 * affirmed medications → MedicationRequest, measurements → Observation. Plug it in with
 * `createSyntheaSuite({ createExtractor: async () => async (text) => extractedFromMentions((await p.analyze(text)).mentions) })`.
 * @param mentions - the pipeline's mentions.
 * @returns the extractions.
 */
export function extractedFromMentions(mentions: readonly Mention[]): ExtractedCode[] {
  const out: ExtractedCode[] = [];
  for (const m of mentions) {
    if (!m.concept || m.assertion !== 'affirmed') continue;
    const resourceType: ExtractedResourceType | undefined =
      m.kind === 'problem' ? 'Condition' : m.kind === 'medication' ? 'MedicationRequest' : m.kind === 'measurement' ? 'Observation' : undefined;
    if (resourceType) {
      out.push({ resourceType, start: m.span.start, end: m.span.end, codings: m.concept.codings, ingredients: m.concept.ingredients });
    }
  }
  return out;
}

/** Options of the suite. */
export interface SyntheaSuiteOptions {
  /** Builds the extraction function; defaults to {@link matcherExtractor} over the shipped index. */
  readonly createExtractor?: () => Promise<ExtractFn>;
  /** Index used to map gold RxNorm drugs to ingredients; defaults to the shipped index. */
  readonly loadIndex?: () => Promise<TerminologyIndex>;
}

interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}
interface Resource {
  readonly resourceType: string;
  readonly id?: string;
  readonly subject?: { readonly reference?: string };
  readonly encounter?: { readonly reference?: string };
  readonly context?: { readonly encounter?: readonly { readonly reference?: string }[] };
  readonly content?: readonly { readonly attachment?: { readonly data?: string } }[];
  readonly code?: { readonly coding?: readonly Coding[] };
  readonly medicationCodeableConcept?: { readonly coding?: readonly Coding[] };
  readonly medicationReference?: { readonly reference?: string };
}

/** A note with its encounter's gold codes. */
interface NoteCase {
  readonly split: 'held-out' | 'development' | 'bundle';
  readonly text: string;
  readonly gold: Readonly<Record<ExtractedResourceType, readonly Coding[]>>;
}

const SYSTEM_OF: Readonly<Record<ExtractedResourceType, string>> = {
  Condition: SNOMED,
  MedicationRequest: RXNORM,
  Observation: LOINC,
};
const TYPES: readonly ExtractedResourceType[] = ['Condition', 'MedicationRequest', 'Observation'];

/** Marks the encounter part of a Synthea note. */
const ENCOUNTER_SCOPE_HEADER = '# Assessment and Plan';

/**
 * Creates the suite.
 * @param options - extraction and index factories.
 * @returns the suite.
 */
export function createSyntheaSuite(options: SyntheaSuiteOptions = {}): EvalSuite {
  return {
    name: 'synthea',
    summary: 'Synthea notes vs the Condition/MedicationRequest/Observation codes of the same encounter',
    async run({ dataDir }) {
      const cases = await readCases(join(dataDir, 'synthea-fhir'));
      const index = await (options.loadIndex ?? ((): Promise<TerminologyIndex> => loadTerminologyIndex()))();
      const extract = await (options.createExtractor ?? ((): Promise<ExtractFn> => Promise.resolve(matcherExtractor(index))))();
      return evaluate(cases, extract, index);
    },
  };
}

/** The registered suite: the matcher over the shipped index. */
export const syntheaSuite: EvalSuite = createSyntheaSuite();

async function evaluate(cases: readonly NoteCase[], extract: ExtractFn, index: TerminologyIndex): Promise<EvalReport> {
  type Counts = { tp: number; fp: number; fn: number; notStated: number; gold: number };
  const tallies = new Map<string, Counts>();
  const tally = (key: string): Counts => {
    let c = tallies.get(key);
    if (!c) tallies.set(key, (c = { tp: 0, fp: 0, fn: 0, notStated: 0, gold: 0 }));
    return c;
  };
  const notes: Record<string, number> = {};
  for (const note of cases) {
    notes[note.split] = (notes[note.split] ?? 0) + 1;
    const scopeStart = note.text.indexOf(ENCOUNTER_SCOPE_HEADER);
    const inScope = (await extract(note.text)).filter((e) => scopeStart >= 0 && e.start >= scopeStart);
    const lower = note.text.toLowerCase();
    for (const type of TYPES) {
      const system = SYSTEM_OF[type];
      const gold = note.gold[type];
      if (type === 'Observation' && note.split !== 'bundle') continue;
      const stated = new Set<string>();
      const all = new Set<string>();
      for (const g of gold) {
        if (!g.code) continue;
        all.add(g.code);
        if (g.display && lower.includes(g.display.toLowerCase())) stated.add(g.code);
      }
      const predicted: string[][] = [];
      const predictedIngredients: string[][] = [];
      for (const e of inScope) {
        if (e.resourceType !== type) continue;
        predicted.push(e.codings.filter((c) => c.system === system).map((c) => c.code));
        predictedIngredients.push(ingredientCodes(e.codings, e.ingredients));
      }
      score(tally(`${note.split}|${type}`), stated, predicted, all);
      if (type === 'MedicationRequest') {
        const goldIngredients = new Set<string>();
        const allIngredients = new Set<string>();
        for (const code of all) {
          const concept = index.lookup(RXNORM, code);
          const codes = concept ? ingredientCodes(concept.codings, concept.ingredients) : [code];
          for (const c of codes) {
            allIngredients.add(c);
            if (stated.has(code)) goldIngredients.add(c);
          }
        }
        score(tally(`${note.split}|MedicationRequest (ingredient)`), goldIngredients, predictedIngredients.flatMap((codes) => codes.map((c) => [c])), allIngredients);
      }
    }
  }
  const rows: MetricRow[] = [];
  const notStated: Record<string, number> = {};
  const gold: Record<string, number> = {};
  for (const split of ['held-out', 'development', 'bundle']) {
    for (const type of [...TYPES.slice(0, 2), 'MedicationRequest (ingredient)', 'Observation']) {
      const c = tallies.get(`${split}|${type}`);
      if (!c) continue;
      const label = `${split} ${type}`;
      rows.push(toMetricRow(label, c.tp, c.fp, c.fn));
      notStated[label] = c.notStated;
      gold[label] = c.gold;
    }
  }
  const lines = [
    'Synthea notes: extracted codes vs the gold resources of the same encounter (code level, stated gold only).',
    `Notes: held-out ${notes['held-out'] ?? 0} (headline: 3 patients never used to build or tune), development ${notes.development ?? 0}, single-patient bundle ${notes.bundle ?? 0}.`,
    '',
    formatMetricTable(rows),
    '',
    'Gold items not stated in the note text (excluded above):',
    ...Object.entries(notStated).map(([k, v]) => `  ${k.padEnd(44)} ${v} of ${gold[k]}`),
    '',
    'Targets (stated in text): recall >= 0.98 and precision >= 0.95 for Condition and MedicationRequest.',
  ];
  return { suite: 'synthea', rows, extra: { notes, notStated, gold }, text: lines.join('\n') };
}

/**
 * Scores one note: an extraction is a true positive when one of its codes is a stated gold code (a concept may
 * carry several codes of one system, e.g. an inactive duplicate), a false positive when none is a gold code.
 */
function score(
  c: { tp: number; fp: number; fn: number; notStated: number; gold: number },
  stated: ReadonlySet<string>,
  predicted: readonly (readonly string[])[],
  all: ReadonlySet<string>
): void {
  c.gold += all.size;
  for (const code of all) if (!stated.has(code)) c.notStated++;
  const hit = new Set<string>();
  const wrong = new Set<string>();
  for (const codes of predicted) {
    if (codes.length === 0) continue;
    const match = codes.find((code) => stated.has(code));
    if (match) hit.add(match);
    else if (!codes.some((code) => all.has(code))) wrong.add(codes[0]);
  }
  c.tp += hit.size;
  c.fp += wrong.size;
  for (const code of stated) if (!hit.has(code)) c.fn++;
}

function ingredientCodes(codings: readonly ConceptCoding[], ingredients: readonly ConceptCoding[] | undefined): string[] {
  if (ingredients && ingredients.length > 0) return ingredients.map((c) => c.code);
  return codings.filter((c) => c.system === RXNORM).map((c) => c.code);
}

async function readNdjson(path: string): Promise<Resource[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Resource);
}

/** Reads the notes and gold codes; names the missing file when the data is not there. */
async function readCases(dir: string): Promise<NoteCase[]> {
  const bulk = join(dir, 'bulk-10-patients');
  for (const f of ['DocumentReference', 'Condition', 'MedicationRequest']) {
    const path = join(bulk, `${f}.000.ndjson`);
    if (!existsSync(path)) throw new MissingInputError(path, 'Synthea data file (pass --data DIR, the shared data folder)');
  }
  const byEncounter = new Map<string, Record<ExtractedResourceType, Coding[]>>();
  const goldOf = (enc: string | undefined): Record<ExtractedResourceType, Coding[]> => {
    const key = enc ?? '';
    let g = byEncounter.get(key);
    if (!g) byEncounter.set(key, (g = { Condition: [], MedicationRequest: [], Observation: [] }));
    return g;
  };
  for (const r of await readNdjson(join(bulk, 'Condition.000.ndjson'))) goldOf(r.encounter?.reference).Condition.push(...codingsOf(r, SNOMED));
  for (const r of await readNdjson(join(bulk, 'MedicationRequest.000.ndjson'))) {
    goldOf(r.encounter?.reference).MedicationRequest.push(...codingsOf(r, RXNORM));
  }
  const cases: NoteCase[] = [];
  for (const d of await readNdjson(join(bulk, 'DocumentReference.000.ndjson'))) {
    const data = d.content?.[0]?.attachment?.data;
    if (!data) continue;
    const enc = d.context?.encounter?.[0]?.reference;
    cases.push({
      split: isHeldOutPatient(d.subject?.reference) ? 'held-out' : 'development',
      text: Buffer.from(data, 'base64').toString('utf8'),
      gold: goldOf(enc),
    });
  }
  const bundlePath = join(dir, 'single-patient-bundle', 'sample_complete_patient.json');
  if (existsSync(bundlePath)) cases.push(...readBundleCases(JSON.parse(await readFile(bundlePath, 'utf8')) as { entry?: { fullUrl?: string; resource?: Resource }[] }));
  return cases;
}

function readBundleCases(bundle: { entry?: { fullUrl?: string; resource?: Resource }[] }): NoteCase[] {
  const gold = new Map<string, Record<ExtractedResourceType, Coding[]>>();
  const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Resource => r !== undefined);
  const encKey = (ref: string | undefined): string => (ref ?? '').replace(/^urn:uuid:/, '').replace(/^Encounter\//, '');
  const goldOf = (ref: string | undefined): Record<ExtractedResourceType, Coding[]> => {
    const key = encKey(ref);
    let g = gold.get(key);
    if (!g) gold.set(key, (g = { Condition: [], MedicationRequest: [], Observation: [] }));
    return g;
  };
  const medications = new Map<string, Resource>();
  for (const e of bundle.entry ?? []) {
    if (e.fullUrl && e.resource?.resourceType === 'Medication') medications.set(e.fullUrl, e.resource);
  }
  for (const r of resources) {
    if (r.resourceType === 'Condition') goldOf(r.encounter?.reference).Condition.push(...codingsOf(r, SNOMED));
    if (r.resourceType === 'MedicationRequest') {
      const referenced = r.medicationReference?.reference ? medications.get(r.medicationReference.reference) : undefined;
      goldOf(r.encounter?.reference).MedicationRequest.push(...codingsOf(referenced ?? r, RXNORM));
    }
    if (r.resourceType === 'Observation') goldOf(r.encounter?.reference).Observation.push(...codingsOf(r, LOINC));
  }
  const cases: NoteCase[] = [];
  for (const r of resources) {
    const data = r.resourceType === 'DocumentReference' ? r.content?.[0]?.attachment?.data : undefined;
    if (!data) continue;
    cases.push({ split: 'bundle', text: Buffer.from(data, 'base64').toString('utf8'), gold: goldOf(r.context?.encounter?.[0]?.reference) });
  }
  return cases;
}

function codingsOf(r: Resource, system: string): Coding[] {
  return (r.code?.coding ?? r.medicationCodeableConcept?.coding ?? []).filter((c) => c.system === system);
}
