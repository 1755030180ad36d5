/**
 * Chartmine's CapabilityStatements: the service (what it does as a client of a FHIR server, and the notification
 * endpoint it offers; served at `/metadata`) and the embedded store (served at `/fhir/R4/metadata`). The authored
 * ones are kind `capability`; at run time they are served as kind `instance` with the running version and URL.
 */
import { getResourceTypes, isResourceType } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource, ResourceType } from '@medplum/fhirtypes';
import { CAPABILITY_URLS, DERIVED_RESOURCE_TYPES, NOTE_TOPIC_URL, PROFILES } from '../naming.js';
import { lookupBaseDefinition } from './base-definitions.js';
import { canonicalMetadata } from './profile-source.js';

const lookupR4Resource = (type: string): boolean => lookupBaseDefinition(`http://hl7.org/fhir/StructureDefinition/${type}`)?.kind === 'resource';

type Interaction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];

const interactions = (...codes: Interaction[]): CapabilityStatementRestResource['interaction'] => codes.map((code) => ({ code }));

/** Profiles Chartmine writes, by resource type. */
const SUPPORTED_PROFILES: Partial<Record<ResourceType, string[]>> = {
  Condition: [PROFILES.condition],
  MedicationStatement: [PROFILES.medicationStatement],
  Observation: [PROFILES.vitalSigns, PROFILES.laboratory, PROFILES.measure],
  FamilyMemberHistory: [PROFILES.familyMemberHistory],
  AllergyIntolerance: [PROFILES.allergyIntolerance],
  Procedure: [PROFILES.procedure],
  Device: [PROFILES.device],
  Provenance: [PROFILES.provenance],
  AuditEvent: [PROFILES.auditEvent],
};

const TAG_PARAM = { name: '_tag', type: 'token' as const, documentation: 'nlp-derived, source-document|<note id>, pipeline-version|<version>' };

function common(id: string, url: string, name: string, title: string, description: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    ...canonicalMetadata({ id, url, name, title, description }),
    kind: 'capability',
    software: { name: 'Chartmine' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
  };
}

/**
 * The service's statement: Chartmine as a client of the FHIR server it reads notes from and writes results to,
 * and the notification endpoint it offers.
 * @returns the statement.
 */
export function buildServiceCapabilityStatement(): CapabilityStatement {
  const derived = DERIVED_RESOURCE_TYPES.map(
    (type): CapabilityStatementRestResource => ({
      type,
      supportedProfile: SUPPORTED_PROFILES[type],
      interaction: interactions('create', 'update', 'search-type'),
      documentation: 'Found by _tag=source-document|<note id>; created with POST, changed with PUT + If-Match.',
      searchParam: [TAG_PARAM],
    })
  );
  return {
    ...common(
      'chartmine',
      CAPABILITY_URLS.service,
      'Chartmine',
      'Chartmine clinical NLP service',
      'Reads clinical notes (DocumentReference) from a FHIR R4 server when notified, and writes the coded findings back ' +
        'with Provenance and AuditEvents. Subscribe it to the SubscriptionTopic ' + NOTE_TOPIC_URL + '.'
    ),
    rest: [
      {
        mode: 'client',
        documentation:
          'What Chartmine does on the FHIR server it is connected to (FHIR_BASE_URL, or its own embedded store): one ' +
          'transaction per note version (split when it holds more than 50 updates), each with a Provenance.',
        interaction: [{ code: 'transaction' }],
        resource: [
          { type: 'DocumentReference', interaction: interactions('read', 'search-type'), documentation: 'Reads each notified note; searches relatesto (supersession) and _lastUpdated (reprocess).' },
          { type: 'Binary', interaction: interactions('read'), documentation: 'Attachment content by URL, on the same server only.' },
          ...derived,
          {
            type: 'Provenance',
            supportedProfile: SUPPORTED_PROFILES.Provenance,
            interaction: interactions('create', 'update', 'search-type'),
            documentation: 'Created in each write-back transaction, then updated once with versioned targets.',
          },
          { type: 'Device', supportedProfile: SUPPORTED_PROFILES.Device, interaction: interactions('create', 'search-type') },
          { type: 'AuditEvent', supportedProfile: SUPPORTED_PROFILES.AuditEvent, interaction: interactions('create') },
        ],
      },
      {
        mode: 'server',
        documentation:
          'POST /notify: a rest-hook notification endpoint for the SubscriptionTopic ' + NOTE_TOPIC_URL + ' (or an R4 ' +
          'criteria Subscription on DocumentReference): the body is a DocumentReference, or empty with ' +
          'X-Medplum-Deleted-Resource for deletions; authenticated with X-Signature (HMAC-SHA256 of the body) when ' +
          'NOTIFY_SECRET is set. Answers 202 with the job id, or an OperationOutcome.',
      },
    ],
  };
}

/**
 * The embedded store's statement: a FHIR R4 server for every resource type, in process memory.
 * @returns the statement.
 */
export function buildEmbeddedStoreCapabilityStatement(): CapabilityStatement {
  const resource = getResourceTypes()
    // Medplum's own resource types (Bot, Project, …) are not FHIR R4's and the embedded store has no definitions of them.
    .filter((type) => isResourceType(type) && lookupR4Resource(type))
    .sort()
    .map((type): CapabilityStatementRestResource => {
      const entry: CapabilityStatementRestResource = {
        type: type as ResourceType,
        interaction: interactions('read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type'),
        versioning: 'versioned',
        readHistory: true,
        updateCreate: true,
        conditionalCreate: true,
        conditionalUpdate: true,
        conditionalDelete: 'single',
      };
      const profiles = SUPPORTED_PROFILES[type as ResourceType];
      if (profiles) entry.supportedProfile = profiles;
      if ((DERIVED_RESOURCE_TYPES as readonly string[]).includes(type)) {
        entry.searchRevInclude = ['Provenance:target'];
      }
      if (type === 'Provenance') {
        entry.searchInclude = ['Provenance:target', 'Provenance:agent', 'Provenance:entity'];
        entry.searchParam = [
          { name: 'target', type: 'reference', documentation: 'Matches versioned targets too: target=Condition/1 finds Condition/1/_history/2' },
          { name: 'entity', type: 'reference', documentation: 'The note version (DocumentReference/<id>/_history/<v>), or any version of it' },
          { name: 'agent', type: 'reference', documentation: 'The pipeline Device' },
          TAG_PARAM,
        ];
      }
      return entry;
    });
  return {
    ...common(
      'chartmine-embedded-store',
      CAPABILITY_URLS.embeddedStore,
      'ChartmineEmbeddedStore',
      'Chartmine embedded FHIR store',
      'The in-memory FHIR R4 store Chartmine serves at /fhir/R4 when FHIR_BASE_URL is unset (@medplum/fhir-router over ' +
        'a strict, atomic MemoryRepository): validates every write against the base definitions and against the ' +
        'Chartmine and FHIR vital-signs profiles it claims; pages searches; supports _include and _revinclude. For ' +
        'trying Chartmine and for tests, not for patient data.'
    ),
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource,
      },
    ],
  };
}

/**
 * A statement as served by a running instance.
 * @param statement - the authored statement.
 * @param software - Chartmine's version.
 * @param date - when the instance started.
 * @param url - the base URL it is served under, when known.
 * @returns the instance statement.
 */
export function toInstanceCapabilityStatement(statement: CapabilityStatement, software: string, date: string, url?: string): CapabilityStatement {
  const { id: _id, url: canonical, version: _v, name: _n, ...rest } = statement;
  return {
    ...rest,
    kind: 'instance',
    date,
    instantiates: [canonical as string],
    software: { name: 'Chartmine', version: software },
    implementation: { description: statement.title ?? 'Chartmine', ...(url ? { url } : {}) },
  };
}
