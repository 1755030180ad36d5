/**
 * Imports LOINC from `Loinc.csv` (LoincTable) and, when present, its linguistic variants
 * (`AccessoryFiles/LinguisticVariants/<lang><country><id>LinguisticVariant.csv`). Columns are found by header name,
 * so releases that add columns still import. Only ACTIVE codes are kept (DEPRECATED/DISCOURAGED stay out).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LOINC } from '../systems.js';
import type { IndexBuilder } from '../build/index-builder.js';
import { PRIORITY } from '../build/index-builder.js';
import { POSTING_FLAGS } from '../index-format.js';
import { isComplete, parseCsvLine } from '../build/csv.js';
import { MissingInputError, readLines } from '../build/read-files.js';
import { findFiles, progressEvery } from './find-files.js';
import { termKey } from '../normalize.js';

/** Options of a LOINC import. */
export interface LoincImportOptions {
  /** Path of `Loinc.csv`. */
  readonly file: string;
  /** Folder of linguistic variants; default: `AccessoryFiles/LinguisticVariants` beside or above the table. */
  readonly variantsDir?: string;
  /** Variant languages to import, e.g. `['de', 'fr']` or `['deAT']`; default all present. */
  readonly languages?: readonly string[];
  readonly onProgress?: (message: string) => void;
}

/** What a LOINC import added. */
export interface LoincImportCounts {
  readonly concepts: number;
  readonly variantTerms: number;
}

/**
 * Streams CSV records (joining quoted fields that span lines).
 * @param path - the file.
 * @returns an async iterator of field arrays, the header first.
 */
export async function* readCsvRecords(path: string): AsyncIterable<string[]> {
  let buffer = '';
  for await (const line of readLines(path)) {
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    if (!isComplete(buffer)) continue;
    yield parseCsvLine(buffer.replace(/^\uFEFF/, ''));
    buffer = '';
  }
  if (buffer !== '') yield parseCsvLine(buffer);
}

/**
 * Imports LOINC into the builder.
 * @param b - the builder.
 * @param options - table path, variants and progress callback.
 * @returns counts.
 * @throws MissingInputError when the table is missing or lacks LOINC_NUM / LONG_COMMON_NAME.
 */
export async function importLoincCsv(b: IndexBuilder, options: LoincImportOptions): Promise<LoincImportCounts> {
  const say = options.onProgress;
  if (!existsSync(options.file)) throw new MissingInputError(options.file, 'LOINC table (Loinc.csv)');
  let header: string[] | undefined;
  let concepts = 0;
  let n = 0;
  const tick = progressEvery('LOINC', 20_000, say);
  const componentOwner = new Map<string, { id: string; rank: number }>();
  for await (const record of readCsvRecords(options.file)) {
    if (!header) {
      header = record;
      if (!header.includes('LOINC_NUM') || !header.includes('LONG_COMMON_NAME')) {
        throw new MissingInputError(options.file, 'LOINC table with LOINC_NUM and LONG_COMMON_NAME columns');
      }
      continue;
    }
    tick(++n);
    const get = column(header, record);
    if ((get('STATUS') || 'ACTIVE') !== 'ACTIVE') continue;
    const code = get('LOINC_NUM');
    const display = get('LONG_COMMON_NAME') || get('DisplayName') || get('SHORTNAME');
    if (!code || !display) continue;
    const id = `loinc:${code}`;
    b.addConcept({ id, group: 'observable', display, codings: [{ system: LOINC, code, display }] });
    concepts++;
    b.addTerm(id, display, { priority: PRIORITY.loinc });
    for (const extra of [get('DisplayName'), get('CONSUMER_NAME')]) if (extra) b.addTerm(id, extra, { priority: PRIORITY.loinc });
    if (get('SHORTNAME')) b.addTerm(id, get('SHORTNAME'), { priority: PRIORITY.variant, flags: POSTING_FLAGS.noFuzzy });
    const rank = Number(get('COMMON_TEST_RANK')) || 0;
    const component = get('COMPONENT').split('^')[0].trim();
    const key = termKey(component);
    if (rank > 0 && key.length >= 4) {
      const owner = componentOwner.get(key);
      if (!owner || rank < owner.rank) componentOwner.set(key, { id, rank });
    }
  }
  for (const [key, owner] of componentOwner) b.addKey(owner.id, key, { priority: PRIORITY.loinc - 1 });
  say?.(`LOINC: ${concepts} active codes`);
  const variantTerms = await importVariants(b, options, say);
  return { concepts, variantTerms };
}

function column(header: readonly string[], record: readonly string[]): (name: string) => string {
  return (name) => {
    const i = header.indexOf(name);
    return i < 0 ? '' : (record[i] ?? '').trim();
  };
}

async function importVariants(b: IndexBuilder, options: LoincImportOptions, say?: (m: string) => void): Promise<number> {
  const tableDir = dirname(options.file);
  const dir =
    options.variantsDir ??
    [join(tableDir, 'AccessoryFiles', 'LinguisticVariants'), join(tableDir, '..', 'AccessoryFiles', 'LinguisticVariants')].find(
      (d) => existsSync(d)
    );
  if (!dir) return 0;
  const files = (await findFiles(dir, /^[a-z]{2}[A-Z]{2}\d+LinguisticVariant\.csv$/)).filter((f) => {
    const name = basename(f);
    return !options.languages || options.languages.some((l) => name.startsWith(l));
  });
  let terms = 0;
  for (const file of files) {
    let header: string[] | undefined;
    for await (const record of readCsvRecords(file)) {
      if (!header) {
        header = record;
        continue;
      }
      const get = column(header, record);
      const id = `loinc:${get('LOINC_NUM')}`;
      if (!b.has(id)) continue;
      for (const t of [get('LONG_COMMON_NAME'), get('LinguisticVariantDisplayName')]) {
        if (t && b.addTerm(id, t, { priority: PRIORITY.variant, flags: POSTING_FLAGS.noFuzzy }) !== '') terms++;
      }
    }
    say?.(`LOINC linguistic variant ${basename(file)} imported`);
  }
  return terms;
}
