/**
 * The CapabilityStatements Chartmine serves: the embedded store's at `/fhir/R4/metadata` and the service's (the
 * notification side) at `/metadata`. Both are the authored ones in `fhir-profiles/`, served as kind `instance`.
 */
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { toInstanceCapabilityStatement } from './profiles/capability-statements.js';
import { ensureChartmineProfiles } from './profiles/load-profiles.js';

/**
 * Builds the CapabilityStatement of the embedded store.
 * @param version - Chartmine's version.
 * @param date - publication date (start-up time).
 * @param url - the store's base URL, when known.
 * @returns the statement.
 */
export function buildEmbeddedCapabilityStatement(version: string, date: string, url?: string): CapabilityStatement {
  return toInstanceCapabilityStatement(ensureChartmineProfiles().embeddedCapability, version, date, url);
}

/**
 * Builds the CapabilityStatement of the service (served at `/metadata`).
 * @param version - Chartmine's version.
 * @param date - publication date (start-up time).
 * @param url - the server's public base URL, when known.
 * @returns the statement.
 */
export function buildServiceCapabilityStatement(version: string, date: string, url?: string): CapabilityStatement {
  return toInstanceCapabilityStatement(ensureChartmineProfiles().serviceCapability, version, date, url);
}
