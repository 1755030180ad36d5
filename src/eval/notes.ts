/**
 * `chartmine eval notes [--split dev|test] [--details] [--no-model]`: runs the real pipeline on the annotated
 * clinical notes of `clinical-notes-gold/<split>/notes/*.txt`, takes the transaction Bundle `chartmine extract`
 * prints for each, and scores it against `gold/<id>.json` as `clinical-notes-gold/GUIDELINES.md` ("Scoring") says.
 * The matching rules are in notes-match.ts, the per-note scoring in notes-score.ts, the sums in notes-report.ts.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { UsageError } from '../cli/command.js';
import { DEFAULT_MODELS_DIR, loadConfig } from '../config/config.js';
import { MissingInputError } from '../errors.js';
import { extractNote, toTextNote } from '../jobs/extract-note.js';
import { loadPipeline } from '../pipeline-loader.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { CHARTMINE_VERSION } from '../version.js';
import { GoldFormatError, parseGoldNote, type GoldNote } from './notes-gold.js';
import { buildNotesReport, formatNotesDetails } from './notes-report.js';
import { scoreNote } from './notes-score.js';
import type { EvalSuite } from './suite.js';

/** The corpus folder, relative to the data directory. */
export const NOTES_GOLD_DIR = 'clinical-notes-gold';
const SPLITS = ['dev', 'test'] as const;

/** Turns a note's text into the Bundle the pipeline writes. */
export type NoteExtractor = (text: string) => Promise<Bundle>;

/** Options of the suite. */
export interface NotesSuiteOptions {
  /** Builds the extractor; defaults to the pipeline as `chartmine extract` runs it (`noModel`: without NER). */
  readonly createExtractor?: (options: { readonly noModel: boolean }) => Promise<NoteExtractor>;
}

/**
 * Creates the suite.
 * @param options - the extractor factory.
 * @returns the suite.
 */
export function createNotesSuite(options: NotesSuiteOptions = {}): EvalSuite {
  return {
    name: 'notes',
    summary: 'annotated clinical notes (clinical-notes-gold) vs the written resources (--split dev|test, --details, --no-model)',
    async run({ dataDir, args }) {
      const split = splitOf(args);
      const cases = await readNotesCorpus(join(dataDir, NOTES_GOLD_DIR, split));
      const extract = await (options.createExtractor ?? createPipelineExtractor)({ noModel: args.includes('--no-model') });
      const scores = [];
      for (const c of cases) scores.push(scoreNote(c.gold, await extract(c.text)));
      const report = buildNotesReport(split, scores);
      if (!args.includes('--details')) return report;
      const details = formatNotesDetails(scores, new Map(cases.map((c) => [c.gold.id, c.text])));
      return { ...report, extra: { ...report.extra, details: scores }, text: `${details}\n\n${report.text}` };
    },
  };
}

/** The registered suite: the whole pipeline, as `chartmine extract` runs it. */
export const notesSuite: EvalSuite = createNotesSuite();

function splitOf(args: readonly string[]): (typeof SPLITS)[number] {
  const i = args.findIndex((a) => a === '--split' || a.startsWith('--split='));
  if (i < 0) return 'dev';
  const value = args[i].startsWith('--split=') ? args[i].slice('--split='.length) : args[i + 1];
  if (!(SPLITS as readonly string[]).includes(value ?? '')) throw new UsageError('--split must be dev or test');
  return value as (typeof SPLITS)[number];
}

/** One note with its gold answer. */
export interface NoteCase {
  readonly text: string;
  readonly gold: GoldNote;
}

/**
 * Reads `notes/<id>.txt` and `gold/<id>.json` of a split; names what is missing.
 * @param dir - the split folder, e.g. `../shared/data/clinical-notes-gold/dev`.
 * @returns the cases, by id.
 */
export async function readNotesCorpus(dir: string): Promise<NoteCase[]> {
  const notesDir = join(dir, 'notes');
  if (!existsSync(notesDir)) throw new MissingInputError(notesDir, 'clinical notes folder (pass --data DIR, the shared data folder)');
  const ids = (await readdir(notesDir))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -'.txt'.length))
    .sort();
  if (ids.length === 0) throw new MissingInputError(notesDir, 'clinical notes (<id>.txt)');
  const cases: NoteCase[] = [];
  for (const id of ids) {
    const goldPath = join(dir, 'gold', `${id}.json`);
    if (!existsSync(goldPath)) throw new MissingInputError(goldPath, 'gold answer of a note');
    let gold: GoldNote;
    try {
      gold = parseGoldNote(id, JSON.parse(await readFile(goldPath, 'utf8')));
    } catch (err: unknown) {
      if (err instanceof GoldFormatError || err instanceof SyntaxError) {
        throw new MissingInputError(goldPath, `well-formed gold answer (${err instanceof GoldFormatError ? err.message : 'not JSON'})`);
      }
      throw err;
    }
    cases.push({ text: await readFile(join(notesDir, `${id}.txt`), 'utf8'), gold });
  }
  return cases;
}

/** The pipeline as `chartmine extract` runs it, with the default mapping choices. */
async function createPipelineExtractor({ noModel }: { readonly noModel: boolean }): Promise<NoteExtractor> {
  const config = loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR, ...(noModel ? { NER_MODEL: 'none' } : {}) });
  const nlp = await loadPipeline(config);
  const software = buildSoftwareInfo(CHARTMINE_VERSION, nlp.info);
  const recorded = new Date().toISOString();
  return (text) =>
    extractNote(toTextNote(text), { nlp, software, mapping: config.mapping, maxDocumentBytes: config.maxDocumentBytes, recorded });
}
