/**
 * Loads the checked-in conformance resources (`fhir-profiles/`) and indexes the StructureDefinitions, with FHIR's
 * own vital-sign profiles, into `@medplum/core`'s schema so resources can be validated against them. Once per process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataType } from '@medplum/core';
import type { CapabilityStatement, StructureDefinition } from '@medplum/fhirtypes';
import { ensureFhirDefinitions } from '../definitions.js';
import { CAPABILITY_URLS } from '../naming.js';
import { coreVitalSignProfiles } from './base-definitions.js';
import { INDEX_FILE } from './conformance.js';

/** `fhir-profiles/` of this package (`src/fhir/profiles/` or `dist/src/fhir/profiles/` → the package root). */
export const DEFAULT_PROFILES_DIR = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../../fhir-profiles/' : '../../../fhir-profiles/', import.meta.url)
);

/** What was loaded. */
export interface LoadedConformance {
  /** Every StructureDefinition validation can use, by canonical URL (Chartmine's and FHIR's vital signs). */
  readonly profiles: ReadonlyMap<string, StructureDefinition>;
  readonly serviceCapability: CapabilityStatement;
  readonly embeddedCapability: CapabilityStatement;
}

let loaded: LoadedConformance | undefined;

/**
 * Reads every file listed in `fhir-profiles/index.json`.
 * @param dir - the folder (default: the package's).
 * @returns the resources, by file name.
 */
export function readConformanceFiles(dir = DEFAULT_PROFILES_DIR): Map<string, Record<string, unknown>> {
  const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')) as { files: { file: string }[] };
  return new Map(index.files.map((f) => [f.file, JSON.parse(readFileSync(join(dir, f.file), 'utf8')) as Record<string, unknown>]));
}

/**
 * Loads and indexes the profiles (idempotent).
 * @param dir - the folder (default: the package's `fhir-profiles/`).
 * @returns the loaded conformance resources.
 */
export function ensureChartmineProfiles(dir = DEFAULT_PROFILES_DIR): LoadedConformance {
  if (loaded) return loaded;
  ensureFhirDefinitions();
  const resources = [...readConformanceFiles(dir).values()];
  const profiles = new Map<string, StructureDefinition>();
  for (const sd of [...coreVitalSignProfiles(), ...resources.filter(isStructureDefinition)]) {
    loadDataType(sd);
    profiles.set(sd.url as string, sd);
  }
  const capability = (url: string): CapabilityStatement => {
    const found = resources.find((r) => r.resourceType === 'CapabilityStatement' && r.url === url);
    if (!found) throw new Error(`fhir-profiles: no CapabilityStatement ${url}`);
    return found as unknown as CapabilityStatement;
  };
  loaded = {
    profiles,
    serviceCapability: capability(CAPABILITY_URLS.service),
    embeddedCapability: capability(CAPABILITY_URLS.embeddedStore),
  };
  return loaded;
}

function isStructureDefinition(r: Record<string, unknown>): r is Record<string, unknown> & StructureDefinition {
  return r.resourceType === 'StructureDefinition';
}
