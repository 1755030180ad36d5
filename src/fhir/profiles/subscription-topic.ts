/**
 * The SubscriptionTopic "clinical note created or updated" that a FHIR server can subscribe Chartmine to: as an
 * R4B/R5 SubscriptionTopic, and in the Subscriptions R5 Backport form for R4 servers (a Basic resource carrying
 * the R5 cross-version extensions `http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.*`).
 */
import type { Basic, Extension } from '@medplum/fhirtypes';
import { NOTE_TOPIC_URL } from '../naming.js';
import { canonicalMetadata, CONFORMANCE_DATE, CONFORMANCE_VERSION, PUBLISHER } from './profile-source.js';

const XVER = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic';

const TITLE = 'Clinical note created or updated';
const DESCRIPTION =
  'Fires when a DocumentReference (a clinical note) is created, updated or deleted. Chartmine analyses each version ' +
  '(and retracts what it derived when a note is deleted, marked entered-in-error or superseded), so it needs every ' +
  'interaction. Notifications may be id-only or full-resource; Chartmine re-reads the note either way.';
const FHIRPATH_CRITERIA = "%current.exists() or %previous.exists()";

/** The topic's content, shared by both forms. */
const TRIGGER = {
  description: 'A DocumentReference is created, updated or deleted',
  resource: 'http://hl7.org/fhir/StructureDefinition/DocumentReference',
  supportedInteraction: ['create', 'update', 'delete'] as const,
};
const FILTERS = [
  { description: 'Only notes about this patient', filterParameter: 'patient' },
  { description: 'Only notes of this type (LOINC document type, e.g. 11506-3)', filterParameter: 'type' },
  { description: 'Only notes with this status (current, superseded, entered-in-error)', filterParameter: 'status' },
];

/**
 * The topic as an R4B/R5 `SubscriptionTopic` (plain JSON: R4 has no such resource type).
 * @returns the resource.
 */
export function buildSubscriptionTopic(): Record<string, unknown> {
  return {
    resourceType: 'SubscriptionTopic',
    ...canonicalMetadata({ id: 'clinical-note', url: NOTE_TOPIC_URL, name: 'ClinicalNote', title: TITLE, description: DESCRIPTION }),
    resourceTrigger: [
      {
        description: TRIGGER.description,
        resource: TRIGGER.resource,
        supportedInteraction: [...TRIGGER.supportedInteraction],
        fhirPathCriteria: FHIRPATH_CRITERIA,
      },
    ],
    canFilterBy: FILTERS.map((f) => ({ description: f.description, resource: 'DocumentReference', filterParameter: f.filterParameter })),
    notificationShape: [{ resource: 'DocumentReference' }],
  };
}

/**
 * The topic in the Backport IG's R4 form: a `Basic` with the R5 cross-version extensions.
 * @returns the resource.
 */
export function buildBackportSubscriptionTopic(): Basic {
  const ext = (name: string, value: Omit<Extension, 'url'>): Extension => ({ url: `${XVER}.${name}`, ...value });
  return {
    resourceType: 'Basic',
    id: 'clinical-note-r4',
    code: { coding: [{ system: 'http://hl7.org/fhir/fhir-types', code: 'SubscriptionTopic' }] },
    extension: [
      ext('url', { valueUri: NOTE_TOPIC_URL }),
      ext('version', { valueString: CONFORMANCE_VERSION }),
      ext('name', { valueString: 'ClinicalNote' }),
      ext('title', { valueString: TITLE }),
      ext('status', { valueCode: 'active' }),
      ext('date', { valueDateTime: CONFORMANCE_DATE }),
      ext('publisher', { valueString: PUBLISHER }),
      ext('description', { valueMarkdown: DESCRIPTION }),
      ext('resourceTrigger', {
        extension: [
          { url: 'description', valueMarkdown: TRIGGER.description },
          { url: 'resource', valueUri: TRIGGER.resource },
          ...TRIGGER.supportedInteraction.map((code) => ({ url: 'supportedInteraction', valueCode: code })),
          { url: 'fhirPathCriteria', valueString: FHIRPATH_CRITERIA },
        ],
      }),
      ...FILTERS.map((f) =>
        ext('canFilterBy', {
          extension: [
            { url: 'description', valueMarkdown: f.description },
            { url: 'resource', valueUri: 'DocumentReference' },
            { url: 'filterParameter', valueString: f.filterParameter },
          ],
        })
      ),
      ext('notificationShape', { extension: [{ url: 'resource', valueUri: 'DocumentReference' }] }),
    ],
  };
}
