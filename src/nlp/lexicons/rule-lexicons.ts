/**
 * The rule stages' data files (`models/lexicons/`): compiled once per process and shared by every analysis.
 * `compileRuleLexicons` is pure; `readRuleLexicons` is the only function in `src/nlp` that reads files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAbbreviations, type AbbreviationTable } from '../abbreviations.js';
import { parseContextLexicon, type ContextLexicon } from '../context/lexicon.js';
import { parseMeasurementDefinitions, type MeasurementTable } from '../measurements.js';
import { compileSectionTable, parseSectionHeaders, type SectionTable } from '../sections.js';

/** The file names, relative to the lexicon folder. */
export const LEXICON_FILES = {
  sectionHeaders: 'section-headers.tsv',
  contextTriggers: 'context-triggers.tsv',
  abbreviations: 'abbreviations.tsv',
  measurements: 'measurements.json',
  labs: 'labs.json',
} as const;

/** The raw file contents. */
export type RuleLexiconSources = { readonly [K in keyof typeof LEXICON_FILES]: string };

/** Everything the rule stages need, compiled. */
export interface RuleLexicons {
  readonly sections: SectionTable;
  readonly context: ContextLexicon;
  readonly abbreviations: AbbreviationTable;
  readonly measurements: MeasurementTable;
  /** sha256 over all files (in `LEXICON_FILES` order): part of the pipeline version. */
  readonly sha256: string;
}

/**
 * Compiles the lexicons from their file contents.
 * @param sources - the contents of each file.
 * @returns the compiled lexicons; throws naming the file and line of a malformed row.
 */
export function compileRuleLexicons(sources: RuleLexiconSources): RuleLexicons {
  const hash = createHash('sha256');
  for (const key of Object.keys(LEXICON_FILES) as (keyof typeof LEXICON_FILES)[]) {
    hash.update(LEXICON_FILES[key]).update('\0').update(sources[key]).update('\0');
  }
  return {
    sections: compileSectionTable(parseSectionHeaders(sources.sectionHeaders)),
    context: parseContextLexicon(sources.contextTriggers),
    abbreviations: parseAbbreviations(sources.abbreviations),
    measurements: parseMeasurementDefinitions(sources.measurements, sources.labs),
    sha256: hash.digest('hex'),
  };
}

const cache = new Map<string, RuleLexicons>();

/**
 * Reads and compiles the lexicon files (cached per folder).
 * @param dir - the folder; defaults to the package's `models/lexicons`.
 * @returns the compiled lexicons.
 */
export function readRuleLexicons(dir: string = defaultLexiconDir()): RuleLexicons {
  const cached = cache.get(dir);
  if (cached) return cached;
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const lexicons = compileRuleLexicons({
    sectionHeaders: read(LEXICON_FILES.sectionHeaders),
    contextTriggers: read(LEXICON_FILES.contextTriggers),
    abbreviations: read(LEXICON_FILES.abbreviations),
    measurements: read(LEXICON_FILES.measurements),
    labs: read(LEXICON_FILES.labs),
  });
  cache.set(dir, lexicons);
  return lexicons;
}

/**
 * The package's `models/lexicons` folder, found by walking up from this module (works from `src/` and `dist/src/`).
 * @returns the absolute folder path.
 */
export function defaultLexiconDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'models', 'lexicons');
    if (existsSync(join(candidate, LEXICON_FILES.contextTriggers))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('models/lexicons not found above the nlp module');
}
