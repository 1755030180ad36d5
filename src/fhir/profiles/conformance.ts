/**
 * Every conformance resource Chartmine publishes, compiled from the sources in this folder. `chartmine profiles
 * build` writes them to `fhir-profiles/` (the checked-in JSON); a test fails when the two drift apart.
 */
import type { Resource } from '@medplum/fhirtypes';
import { ensureFhirDefinitions } from '../definitions.js';
import { AUDIT_PROFILE_SOURCES } from './audit-profiles.js';
import { lookupBaseDefinition } from './base-definitions.js';
import { buildEmbeddedStoreCapabilityStatement, buildServiceCapabilityStatement } from './capability-statements.js';
import { DERIVED_PROFILE_SOURCES } from './derived-profiles.js';
import { EXTENSION_SOURCES } from './extensions.js';
import { compileProfile } from './profile-source.js';
import { buildBackportSubscriptionTopic, buildSubscriptionTopic } from './subscription-topic.js';
import { buildTerminologyResources } from './terminology.js';

/** One file of `fhir-profiles/`. */
export interface ConformanceFile {
  /** File name, `<ResourceType>-<id>.json` (the IG Publisher's convention). */
  readonly fileName: string;
  /** The resource (plain JSON for the R4B/R5 SubscriptionTopic, which R4 lacks). */
  readonly resource: Resource | Record<string, unknown>;
}

/** Name of the index file listing every conformance file. */
export const INDEX_FILE = 'index.json';

/**
 * Compiles every conformance resource.
 * @returns the files, in a stable order.
 */
export function buildConformanceFiles(): ConformanceFile[] {
  ensureFhirDefinitions();
  const structureDefinitions = [...EXTENSION_SOURCES, ...DERIVED_PROFILE_SOURCES, ...AUDIT_PROFILE_SOURCES].map((s) =>
    compileProfile(s, lookupBaseDefinition)
  );
  const resources: (Resource | Record<string, unknown>)[] = [
    ...structureDefinitions,
    ...buildTerminologyResources(),
    buildSubscriptionTopic(),
    buildBackportSubscriptionTopic(),
    buildServiceCapabilityStatement(),
    buildEmbeddedStoreCapabilityStatement(),
  ];
  return resources.map((resource) => ({
    fileName: `${String(resource.resourceType)}-${String(resource.id)}${resource.resourceType === 'SubscriptionTopic' ? '.r4b' : ''}.json`,
    resource,
  }));
}

/**
 * The index written next to the files: what each one is.
 * @param files - the conformance files.
 * @returns the index as JSON-able data.
 */
export function buildConformanceIndex(files: readonly ConformanceFile[]): { files: { file: string; resourceType: string; url?: string; fhirVersion: string }[] } {
  return {
    files: files.map((f) => ({
      file: f.fileName,
      resourceType: String(f.resource.resourceType),
      ...('url' in f.resource && typeof f.resource.url === 'string' ? { url: f.resource.url } : {}),
      fhirVersion: f.resource.resourceType === 'SubscriptionTopic' ? '4.3.0/5.0.0' : '4.0.1',
    })),
  };
}

/**
 * How a file is written: two-space JSON and a final newline, so diffs stay readable.
 * @param value - the JSON value.
 * @returns the file content.
 */
export function toFileContent(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
