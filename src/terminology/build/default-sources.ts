/**
 * Adds the open sources in `shared/data` to an {@link IndexBuilder}: the complete ICD-10-CM list, the SNOMED CT IPS
 * Free Set, Synthea's module codes and the codes in the development split of the Synthea FHIR data, and the LOINC
 * vital-sign and Top 2000 lab subsets. Every function returns what it added, for the build report.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CVX, ICD10CM, LOINC, RXNORM, SNOMED } from '../systems.js';
import type { SemanticGroup } from '../types.js';
import { semanticTagOf, SNOMED_TAG_GROUPS, stripSemanticTag, termKey } from '../normalize.js';
import { parseCsvLine } from './csv.js';
import { conditionVariants } from './synonym-rules.js';
import type { IndexBuilder } from './index-builder.js';
import { PRIORITY } from './index-builder.js';
import { assertFile, readText, readTsv } from './read-files.js';
import { isHeldOutPatient } from './synthea-split.js';

/** One ICD-10-CM code of the order file. */
export interface IcdEntry {
  readonly code: string;
  readonly billable: boolean;
  readonly description: string;
}

/** The ICD-10-CM list with its term keys, for cross-mapping. */
export interface IcdTable {
  readonly entries: ReadonlyMap<string, IcdEntry>;
  /** Key of a billable code's description (and its variants) → codes. */
  readonly codesByKey: ReadonlyMap<string, readonly string[]>;
  /** Key of a generated synonym of a billable code's description (`conditionVariants`) → codes. */
  readonly codesByGeneratedKey: ReadonlyMap<string, readonly string[]>;
}

/**
 * Inserts the dot of an ICD-10-CM code (`E119` → `E11.9`).
 * @param raw - the code without dot.
 * @returns the FHIR form.
 */
export function dottedIcd(raw: string): string {
  const c = raw.trim().toUpperCase();
  return c.length > 3 && !c.includes('.') ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
}

/**
 * The group of an ICD-10-CM code, by chapter letter.
 * @param code - the code.
 * @returns its semantic group.
 */
export function icdGroup(code: string): SemanticGroup {
  return 'RZVWXY'.includes(code[0]) ? 'finding' : 'disorder';
}

/**
 * Term variants of an ICD-10-CM description: itself, without a trailing "unspecified", without parentheses.
 * @param description - the long description.
 * @returns distinct variants, the description first.
 */
export function icdVariants(description: string): string[] {
  const out = new Set<string>([description]);
  const noUnspecified = description.replace(/,?\s+unspecified$/i, '');
  out.add(noUnspecified);
  for (const v of [...out]) out.add(v.replace(/\s*\([^)]*\)/g, ''));
  return [...out].filter((v) => v.trim() !== '');
}

/**
 * Adds every ICD-10-CM code. Billable codes outside chapters V–Y (external causes) get their description as terms;
 * category headers are reachable by code only.
 * @param b - the builder.
 * @param rows - order-file rows: code without dot, billable flag, long description.
 * @returns the table for cross-mapping.
 */
export function addIcd10cm(b: IndexBuilder, rows: Iterable<{ code: string; billable: boolean; description: string }>): IcdTable {
  const entries = new Map<string, IcdEntry>();
  const codesByKey = new Map<string, string[]>();
  const codesByGeneratedKey = new Map<string, string[]>();
  for (const row of rows) {
    const code = dottedIcd(row.code);
    const entry: IcdEntry = { code, billable: row.billable, description: row.description };
    entries.set(code, entry);
    const id = `icd:${code}`;
    b.addConcept({
      id,
      group: icdGroup(code),
      display: row.description,
      codings: [{ system: ICD10CM, code, display: row.description }],
    });
    if (!row.billable) continue;
    icdVariants(row.description).forEach((v, i) => {
      const key = termKey(v);
      if (key === '') return;
      const list = codesByKey.get(key) ?? [];
      if (!list.includes(code)) list.push(code);
      codesByKey.set(key, list);
      if (!'VWXY'.includes(code[0])) b.addKey(id, key, { priority: i === 0 ? PRIORITY.icd10cm : PRIORITY.variant });
    });
    if ('VWXY'.includes(code[0])) continue;
    for (const v of conditionVariants(row.description)) {
      const key = termKey(v);
      // Sided variants are left to the laterality refinements, which keep the SNOMED CT concept ("otitis media of
      // the right ear" is Otitis media + H66.91, not an ICD-10-CM-only match).
      if (key === '' || codesByKey.has(key) || /\b(?:right|left|bilateral)\b/.test(key)) continue;
      const list = codesByGeneratedKey.get(key) ?? [];
      if (!list.includes(code)) list.push(code);
      codesByGeneratedKey.set(key, list);
      // A generated synonym names the code only when no other code's generates it too.
      if (list.length === 1) b.addKey(id, key, { priority: PRIORITY.variant });
    }
  }
  return { entries, codesByKey, codesByGeneratedKey };
}

/**
 * Reads the ICD-10-CM order file as staged in `shared/data/icd10cm` (TSV, gzipped, header row).
 * @param path - the file.
 * @returns the rows.
 */
export async function readIcdOrderTsv(path: string): Promise<{ code: string; billable: boolean; description: string }[]> {
  assertFile(path, 'ICD-10-CM order file');
  return (await readTsv(path, { header: true })).map((r) => ({ code: r[1], billable: r[2] === '1', description: r[4] }));
}

const IPS_GROUPS: Readonly<Record<string, SemanticGroup>> = {
  'problems-snomed-ct-ips-free-set': 'disorder',
  'target-diseases-snomed-ct-ips-free-set': 'disorder',
  'procedures-snomed-ct-ips-free-set': 'procedure',
  'allergy-intolerance-snomed-ct-ips-free-set': 'allergen',
  'vaccines-snomed-ct-ips-free-set': 'vaccine',
  'medications-snomed-ct-ips-free-set': 'medication',
};

/**
 * Adds the SNOMED CT IPS Free Set value sets that describe problems, procedures, allergens, vaccines and
 * medications (organisms, specimens, devices and blood groups are left out: they are not what notes are coded for).
 * @param b - the builder.
 * @param path - `snomed_ct_ips_free_set_valuesets.tsv`.
 * @returns the number of concepts added.
 */
export async function addIpsFreeSet(b: IndexBuilder, path: string): Promise<number> {
  assertFile(path, 'SNOMED CT IPS Free Set table');
  let n = 0;
  for (const [valueSet, code, display] of await readTsv(path, { header: true })) {
    const group = IPS_GROUPS[valueSet];
    if (!group) continue;
    const id = `sct:${code}`;
    if (!b.has(id)) n++;
    b.addConcept({ id, group, display, codings: [{ system: SNOMED, code, display }] });
    b.addTerm(id, display, { priority: PRIORITY.snomed });
  }
  return n;
}

const TAG_GROUPS: Readonly<Record<string, SemanticGroup | null>> = {
  ...SNOMED_TAG_GROUPS,
  'record artifact': 'procedure',
  'physical object': null,
  'qualifier value': null,
  'body structure': null,
  organism: null,
  'morphologic abnormality': null,
  person: null,
  environment: null,
};

/**
 * The group of a Synthea SNOMED CT code, from its semantic tag or else the module state that uses it.
 * @param display - the display (often a fully specified name).
 * @param stateTypes - Synthea state types, comma-separated.
 * @returns the group, or null when the code is not something notes are coded for.
 */
export function syntheaSnomedGroup(display: string, stateTypes: string): SemanticGroup | null {
  const tag = semanticTagOf(display);
  if (tag !== undefined && tag in TAG_GROUPS) return TAG_GROUPS[tag];
  if (/ConditionOnset|ConditionEnd/.test(stateTypes)) return 'disorder';
  if (/AllergyOnset/.test(stateTypes)) return 'allergen';
  if (/Procedure|Encounter|CarePlan/.test(stateTypes)) return 'procedure';
  if (/Observation/.test(stateTypes)) return 'observable';
  return null;
}

/** Counts of what a Synthea source added. */
export interface SyntheaCounts {
  snomed: number;
  rxnorm: number;
  loinc: number;
  cvx: number;
}

/**
 * Adds the codes of Synthea's modules (`synthea_module_codes.tsv`).
 * @param b - the builder.
 * @param path - the table.
 * @returns how many concepts per system were added.
 */
export async function addSyntheaModuleCodes(b: IndexBuilder, path: string): Promise<SyntheaCounts> {
  assertFile(path, 'Synthea module code table');
  const counts: SyntheaCounts = { snomed: 0, rxnorm: 0, loinc: 0, cvx: 0 };
  for (const [system, code, display, stateTypes] of await readTsv(path, { header: true })) {
    if (system === 'SNOMED-CT') {
      const group = syntheaSnomedGroup(display, stateTypes);
      if (group && addSynthea(b, `sct:${code}`, group, SNOMED, code, display)) counts.snomed++;
    } else if (system === 'RxNorm') {
      const group: SemanticGroup = /MedicationOrder/.test(stateTypes) ? 'clinical-drug' : 'medication';
      if (addSynthea(b, `rx:${code}`, group, RXNORM, code, display)) counts.rxnorm++;
    } else if (system === 'LOINC') {
      if (addSynthea(b, `loinc:${code}`, 'observable', LOINC, code, display)) counts.loinc++;
    } else if (system === 'CVX') {
      if (addSynthea(b, `cvx:${code}`, 'vaccine', CVX, code, display)) counts.cvx++;
    }
  }
  return counts;
}

function addSynthea(b: IndexBuilder, id: string, group: SemanticGroup, system: string, code: string, display: string): boolean {
  const isNew = !b.has(id);
  b.addConcept({ id, group, display, codings: [{ system, code, display }] });
  if (!isNew && system === SNOMED && group !== 'disorder' && b.get(id)?.group === 'disorder') b.setGroup(id, group);
  b.addTerm(id, stripSemanticTag(display), { priority: system === SNOMED ? PRIORITY.snomedSynthea : PRIORITY.rxnorm });
  return isNew;
}

interface FhirCoding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}
interface FhirResource {
  readonly resourceType: string;
  readonly subject?: { readonly reference?: string };
  readonly patient?: { readonly reference?: string };
  readonly code?: { readonly coding?: readonly FhirCoding[] };
  readonly medicationCodeableConcept?: { readonly coding?: readonly FhirCoding[] };
  readonly vaccineCode?: { readonly coding?: readonly FhirCoding[] };
}

/**
 * Adds the codes used by the development split of the Synthea FHIR data (bulk NDJSON, held-out patients skipped,
 * and the single-patient bundle). These are Synthea's own codes and displays, the same content as its modules.
 * @param b - the builder.
 * @param dir - `shared/data/synthea-fhir`.
 * @returns how many concepts per system were added.
 */
export async function addSyntheaFhirCodes(b: IndexBuilder, dir: string): Promise<SyntheaCounts> {
  const counts: SyntheaCounts = { snomed: 0, rxnorm: 0, loinc: 0, cvx: 0 };
  const bulk = join(dir, 'bulk-10-patients');
  assertFile(bulk, 'Synthea bulk FHIR folder');
  const resources: FhirResource[] = [];
  for (const file of (await readdir(bulk)).sort()) {
    if (!/^(Condition|MedicationRequest|Immunization|Procedure|AllergyIntolerance)\.\d+\.ndjson$/.test(file)) continue;
    for (const line of (await readText(join(bulk, file))).split('\n')) {
      if (line.trim() !== '') resources.push(JSON.parse(line) as FhirResource);
    }
  }
  const bundlePath = join(dir, 'single-patient-bundle', 'sample_complete_patient.json');
  const bundle = JSON.parse(await readText(bundlePath)) as { entry?: { resource?: FhirResource }[] };
  for (const e of bundle.entry ?? []) if (e.resource) resources.push(e.resource);
  for (const r of resources) {
    if (isHeldOutPatient(r.subject?.reference ?? r.patient?.reference)) continue;
    const codings = r.code?.coding ?? r.medicationCodeableConcept?.coding ?? r.vaccineCode?.coding ?? [];
    for (const c of codings) {
      if (!c.code || !c.display) continue;
      if (c.system === SNOMED) {
        const group: SemanticGroup | null =
          r.resourceType === 'Condition'
            ? (syntheaSnomedGroup(c.display, 'ConditionOnset') ?? 'disorder')
            : r.resourceType === 'AllergyIntolerance'
              ? 'allergen'
              : r.resourceType === 'Procedure'
                ? 'procedure'
                : null;
        if (group && addSynthea(b, `sct:${c.code}`, group, SNOMED, c.code, c.display)) counts.snomed++;
      } else if (c.system === RXNORM) {
        const group: SemanticGroup = r.resourceType === 'MedicationRequest' ? 'clinical-drug' : 'medication';
        if (addSynthea(b, `rx:${c.code}`, group, RXNORM, c.code, c.display)) counts.rxnorm++;
      } else if (c.system === CVX) {
        if (addSynthea(b, `cvx:${c.code}`, 'vaccine', CVX, c.code, c.display)) counts.cvx++;
      }
    }
  }
  return counts;
}

/**
 * Lab classes whose component name is how notes name the result ("creatinine 1.4"). Microbiology, drug levels,
 * susceptibilities and allergy tests are left out: their components are organisms, drugs and allergens, which
 * notes name for other reasons.
 */
const COMPONENT_TERM_CLASSES: ReadonlySet<string> = new Set(['CHEM', 'HEM/BC', 'UA', 'COAG', 'SERO']);

/**
 * Adds the LOINC vital signs and the Top 2000+ lab results (US and SI). Each lab's component name (the part of
 * the long common name before `[`, chemistry/haematology/urinalysis/coagulation/serology only) becomes a term of the
 * best-ranked code that has it, so "creatinine" codes to the most commonly reported creatinine test.
 * @param b - the builder.
 * @param dir - `shared/data/loinc-subsets`.
 * @returns the number of LOINC concepts added.
 */
export async function addLoincSubsets(b: IndexBuilder, dir: string): Promise<number> {
  let n = 0;
  const vitals = join(dir, 'vital_signs_loinc_from_synthea.tsv');
  assertFile(vitals, 'LOINC vital-sign table');
  for (const [code, display] of await readTsv(vitals, { header: true })) {
    if (!b.has(`loinc:${code}`)) n++;
    b.addConcept({ id: `loinc:${code}`, group: 'observable', display, codings: [{ system: LOINC, code, display }] });
    b.addTerm(`loinc:${code}`, display, { priority: PRIORITY.loinc });
  }
  const componentOwner = new Map<string, { id: string; rank: number }>();
  for (const file of ['LOINC_1.6_Top2000CommonLabResultsUS.csv', 'LOINC_1.6_Top2000CommonLabResultsSI.csv']) {
    const path = join(dir, file);
    assertFile(path, 'LOINC Top 2000 table');
    const lines = (await readText(path)).split('\n').slice(1);
    for (const line of lines) {
      if (line.trim() === '') continue;
      const [code, longName, shortName, labClass, rankText] = parseCsvLine(line);
      const id = `loinc:${code}`;
      if (!b.has(id)) n++;
      b.addConcept({ id, group: 'observable', display: longName, codings: [{ system: LOINC, code, display: longName }] });
      b.addTerm(id, longName, { priority: PRIORITY.loinc });
      if (shortName) b.addTerm(id, shortName, { priority: PRIORITY.variant, flags: 2 });
      const component = longName.split('[')[0].trim();
      const rank = Number(rankText) || 9999;
      const key = termKey(component);
      if (key.length >= 4 && component !== longName && COMPONENT_TERM_CLASSES.has(labClass.toUpperCase())) {
        const owner = componentOwner.get(key);
        if (!owner || rank < owner.rank) componentOwner.set(key, { id, rank });
      }
    }
  }
  for (const [key, owner] of componentOwner) b.addKey(owner.id, key, { priority: PRIORITY.loinc - 1 });
  return n;
}
