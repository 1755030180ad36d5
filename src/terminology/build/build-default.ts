/**
 * `chartmine terminology build`: regenerates the shipped index `models/terminology/index.tsv.gz` from the open
 * sources in `shared/data` and the curated lists. Deterministic: the same inputs give the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INDEX_FILE } from '../index-format.js';
import { tokenize } from '../normalize.js';
import { addCuratedLists, addIngredients, addRefinements } from './curated.js';
import {
  addDrugIngredients,
  addGeneratedConditionSynonyms,
  addIcdMaps,
  addLateralityRefinements,
  markSymptomsAsFindings,
  mergeDuplicateConditions,
} from './cross-maps.js';
import {
  addIcd10cm,
  addIpsFreeSet,
  addLoincSubsets,
  addSyntheaFhirCodes,
  addSyntheaModuleCodes,
  readIcdOrderTsv,
} from './default-sources.js';
import type { WrittenIndex } from './index-builder.js';
import { IndexBuilder } from './index-builder.js';
import { assertFile, readText } from './read-files.js';

/** Name of the shipped index. */
export const DEFAULT_INDEX_NAME = 'chartmine-default';
/** Version of the shipped content; bump when the sources or curated lists change. */
export const DEFAULT_INDEX_VERSION = '1.1.0';

/** The files the build reads, relative to the data directory. */
export const DEFAULT_BUILD_INPUTS = {
  icd10cm: 'icd10cm/icd10cm_order_fy2022.tsv.gz',
  ips: 'snomed-ct-ips-free-set/snomed_ct_ips_free_set_valuesets.tsv',
  syntheaModules: 'synthea-module-codes/synthea_module_codes.tsv',
  syntheaFhir: 'synthea-fhir',
  loinc: 'loinc-subsets',
  diseaseOntology: 'disease-ontology',
  mtsamples: 'mtsamples/mtsamples.csv.gz',
} as const;

/** Options of a build. */
export interface BuildOptions {
  readonly dataDir: string;
  /** Folder with `curated/`; the index and `BUILD.json` are written here. */
  readonly outDir: string;
  readonly onProgress?: (message: string) => void;
}

/** What the build did. */
export interface BuildReport {
  readonly index: WrittenIndex;
  readonly counts: Readonly<Record<string, unknown>>;
}

/**
 * Builds the shipped index.
 * @param options - data and output folders.
 * @returns the written file and counts.
 * @throws MissingInputError naming the first missing input file.
 */
export async function buildDefaultIndex(options: BuildOptions): Promise<BuildReport> {
  const { dataDir, outDir } = options;
  const say = options.onProgress ?? ((): void => undefined);
  const curated = join(outDir, 'curated');
  for (const rel of Object.values(DEFAULT_BUILD_INPUTS)) assertFile(join(dataDir, rel), 'build input');
  const b = new IndexBuilder();
  const icd = addIcd10cm(b, await readIcdOrderTsv(join(dataDir, DEFAULT_BUILD_INPUTS.icd10cm)));
  say(`ICD-10-CM: ${icd.entries.size} codes`);
  const ips = await addIpsFreeSet(b, join(dataDir, DEFAULT_BUILD_INPUTS.ips));
  const modules = await addSyntheaModuleCodes(b, join(dataDir, DEFAULT_BUILD_INPUTS.syntheaModules));
  const fhir = await addSyntheaFhirCodes(b, join(dataDir, DEFAULT_BUILD_INPUTS.syntheaFhir));
  say(`SNOMED CT: IPS ${ips}, Synthea modules ${modules.snomed}, Synthea FHIR (development split) ${fhir.snomed}`);
  const duplicates = mergeDuplicateConditions(b);
  say(`SNOMED CT: ${duplicates} same-name duplicate codes folded into one concept`);
  const generatedSynonyms = addGeneratedConditionSynonyms(b);
  say(`SNOMED CT: ${generatedSynonyms} generated condition synonyms`);
  const loinc = await addLoincSubsets(b, join(dataDir, DEFAULT_BUILD_INPUTS.loinc));
  say(`LOINC: ${loinc + modules.loinc}`);
  const ingredientByKey = await addIngredients(b, curated);
  const curatedCounts = await addCuratedLists(b, curated);
  const drugs = addDrugIngredients(b, ingredientByKey);
  say(`RxNorm: clinical drugs with ingredients ${drugs.mapped}, without ${drugs.unmapped}`);
  const icdMaps = await addIcdMaps(b, icd, curated, join(dataDir, DEFAULT_BUILD_INPUTS.diseaseOntology));
  say(`SNOMED CT → ICD-10-CM: ${JSON.stringify(icdMaps)}`);
  const findings = markSymptomsAsFindings(b);
  const refinements = await addRefinements(b, curated, icd);
  const lateralityRefinements = addLateralityRefinements(b, icd);
  say(`refinements: curated ${refinements}, laterality from ICD-10-CM ${lateralityRefinements}; symptoms as findings ${findings}`);
  b.addKnownWords(await readKnownWords(join(dataDir, DEFAULT_BUILD_INPUTS.mtsamples)));
  const inputs: Record<string, string> = {};
  for (const [name, rel] of Object.entries(DEFAULT_BUILD_INPUTS)) {
    if (rel.includes('.')) inputs[name] = createHash('sha256').update(await readFile(join(dataDir, rel))).digest('hex');
  }
  const counts = { ips, modules, fhir, duplicates, generatedSynonyms, loinc, curated: curatedCounts, drugs, icdMaps, findings, refinements, lateralityRefinements };
  const index = await b.write(
    join(outDir, INDEX_FILE),
    {
      name: DEFAULT_INDEX_NAME,
      version: DEFAULT_INDEX_VERSION,
      sources: [
        { name: 'ICD-10-CM FY2022 (CDC/NCHS)', licence: 'public domain (US government work)', concepts: icd.entries.size },
        { name: 'SNOMED CT IPS Free Set (SNOMED International)', licence: 'CC BY 4.0', concepts: ips },
        { name: 'Synthea 4.0.0 module codes and Synthea FHIR development split', licence: 'Apache-2.0 / CC0; SNOMED CT and LOINC notices apply' },
        { name: 'LOINC vital signs and Top 2000+ lab results (Regenstrief)', licence: 'LOINC licence (https://loinc.org/license)' },
        { name: 'Disease Ontology cross-references', licence: 'CC0 1.0' },
        { name: 'Chartmine curated lists (models/terminology/curated)', licence: 'Apache-2.0' },
      ],
      inputs,
    },
    say
  );
  await writeFile(
    join(outDir, 'BUILD.json'),
    `${JSON.stringify({ name: DEFAULT_INDEX_NAME, version: DEFAULT_INDEX_VERSION, sha256: index.sha256, bytes: index.bytes, concepts: index.concepts, terms: index.terms, counts, inputs }, null, 2)}\n`
  );
  return { index, counts };
}

/**
 * Real words (frequent in the MTSamples development split: `note_id % 5 != 0`) that the speller must never
 * "correct" into a term word.
 * @param path - `mtsamples.csv.gz`.
 * @returns normalised words seen at least twice.
 */
async function readKnownWords(path: string): Promise<Set<string>> {
  const text = await readText(path);
  const counts = new Map<string, number>();
  // Records span lines; the note id is the first field. Only the development split is read.
  const records = text.split(/\n(?="?\d+"?,)/);
  for (const record of records.slice(1)) {
    const id = Number(/^"?(\d+)/.exec(record)?.[1] ?? '0');
    if (id % 5 === 0) continue;
    for (const t of tokenize(record)) {
      if (/^[a-z]{6,}$/.test(t.norm)) counts.set(t.norm, (counts.get(t.norm) ?? 0) + 1);
    }
  }
  return new Set([...counts].filter(([, n]) => n >= 2).map(([w]) => w));
}
