/**
 * `chartmine terminology import`: builds an index from licensed releases the user supplies (any subset), in the
 * same format as the shipped one, with progress on stderr. Point `TERMINOLOGY_DIR` at the output folder to use it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { addIcd10cm } from '../build/default-sources.js';
import { IndexBuilder } from '../build/index-builder.js';
import type { IndexHeader } from '../index-format.js';
import { INDEX_FILE } from '../index-format.js';
import { readIcd10cmOrder } from './icd10cm-order.js';
import { importLoincCsv } from './loinc-csv.js';
import { importRxNormRrf } from './rxnorm-rrf.js';
import { importSnomedRf2 } from './snomed-rf2.js';

/** What to import. */
export interface ImportOptions {
  readonly out: string;
  readonly snomed?: string;
  readonly snomedIcd10cm?: boolean;
  readonly languageRefset?: string;
  readonly rxnorm?: string;
  readonly loinc?: string;
  readonly loincLanguages?: readonly string[];
  readonly icd10cm?: string;
  readonly name?: string;
  readonly version?: string;
  readonly onProgress?: (message: string) => void;
}

/** Result of an import. */
export interface ImportResult {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly concepts: number;
  readonly terms: number;
  readonly counts: Readonly<Record<string, unknown>>;
}

/**
 * Imports the given releases into `out/index.tsv.gz`.
 * @param options - release locations and output folder.
 * @returns what was written.
 */
export async function importReleases(options: ImportOptions): Promise<ImportResult> {
  const say = options.onProgress;
  const b = new IndexBuilder();
  const counts: Record<string, unknown> = {};
  const sources: NonNullable<IndexHeader['sources']>[number][] = [];
  let icdDisplays: Map<string, string> | undefined;
  if (options.icd10cm) {
    const table = addIcd10cm(b, await readIcd10cmOrder(options.icd10cm, say));
    icdDisplays = new Map([...table.entries.values()].filter((e) => e.billable).map((e) => [e.code, e.description]));
    counts.icd10cm = table.entries.size;
    sources.push({ name: 'ICD-10-CM (CDC/NCHS)', licence: 'public domain', concepts: table.entries.size });
  }
  if (options.snomed) {
    counts.snomed = await importSnomedRf2(b, {
      dir: options.snomed,
      languageRefset: options.languageRefset,
      icd10cm: options.snomedIcd10cm ? icdDisplays : undefined,
      onProgress: say,
    });
    if (options.snomedIcd10cm && !icdDisplays) say?.('SNOMED CT → ICD-10-CM maps need --icd10cm (for displays); skipped');
    sources.push({ name: 'SNOMED CT RF2 snapshot', licence: 'SNOMED CT Affiliate Licence / national release licence' });
  }
  if (options.rxnorm) {
    counts.rxnorm = await importRxNormRrf(b, { dir: options.rxnorm, onProgress: say });
    sources.push({ name: 'RxNorm (SAB=RXNORM)', licence: 'UMLS licence; RxNorm-source content free of charge (NLM)' });
  }
  if (options.loinc) {
    counts.loinc = await importLoincCsv(b, { file: options.loinc, languages: options.loincLanguages, onProgress: say });
    sources.push({ name: 'LOINC (Regenstrief Institute)', licence: 'LOINC licence (https://loinc.org/license)' });
  }
  await mkdir(options.out, { recursive: true });
  const written = await b.write(
    join(options.out, INDEX_FILE),
    { name: options.name ?? 'chartmine-imported', version: options.version ?? '1.0.0', sources },
    say
  );
  return { path: written.path, sha256: written.sha256, bytes: written.bytes, concepts: written.concepts, terms: written.terms, counts };
}
