/** The CapabilityStatement of the embedded FHIR endpoint (`/fhir/R4/metadata`). */
import { getResourceTypes } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { ensureFhirDefinitions } from './definitions.js';

const INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'read' },
  { code: 'vread' },
  { code: 'update' },
  { code: 'delete' },
  { code: 'history-instance' },
  { code: 'create' },
  { code: 'search-type' },
];

/**
 * Builds the CapabilityStatement of the embedded store.
 * @param version - Chartmine's version.
 * @param date - publication date (start-up time).
 * @returns the statement.
 */
export function buildEmbeddedCapabilityStatement(version: string, date: string): CapabilityStatement {
  ensureFhirDefinitions();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    publisher: 'Chartmine',
    software: { name: 'Chartmine embedded FHIR store', version },
    implementation: { description: 'In-memory FHIR R4 store (@medplum/fhir-router MemoryRepository); not for production data' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: getResourceTypes().map((type) => ({
          type: type as CapabilityStatementRestResource['type'],
          interaction: INTERACTIONS,
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
        })),
      },
    ],
  };
}
