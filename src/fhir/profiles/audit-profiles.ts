/** Profiles of what makes Chartmine's output auditable: the pipeline Device, the Provenance and the AuditEvent. */
import {
  CHARTMINE_CODES,
  DEVICE_IDENTIFIER_SYSTEM,
  PIPELINE_VERSION_TAG_SYSTEM,
  PROFILES,
  RUN_TAG_SYSTEM,
  SOURCE_DOCUMENT_TAG_SYSTEM,
  TARGETS_PENDING_TAG,
} from '../naming.js';
import { el, invariant, type ProfileSource } from './profile-source.js';

const claims = (profile: string): string => `meta.profile.where($this = '${profile}').exists()`;

export const DEVICE_PROFILE: ProfileSource = {
  id: 'chartmine-pipeline-device',
  name: 'ChartminePipelineDevice',
  title: 'Chartmine NLP pipeline (Device)',
  description:
    'One version of Chartmine\'s NLP pipeline, as the agent of Provenance and AuditEvent: its identifier is ' +
    '`<pipeline name>@<pipeline version>`; `version` lists Chartmine\'s version, the pipeline version and every component ' +
    '(rules, lexicons, terminology index, models) with its version and, where it has one, the sha256 of its artifact.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Device',
  type: 'Device',
  kind: 'resource',
  elements: [
    el('Device', {
      constraint: [
        invariant('cm-dev-1', 'Claims this profile', claims(PROFILES.device)),
        invariant('cm-dev-2', 'One pipeline identifier', `identifier.where(system='${DEVICE_IDENTIFIER_SYSTEM}' and value.exists()).count() = 1`),
        invariant('cm-dev-3', 'Typed as an NLP pipeline', `type.coding.where(system='${CHARTMINE_CODES}' and code='nlp-pipeline').exists()`),
        invariant(
          'cm-dev-4',
          'Exactly one pipeline version, and every version entry typed and valued',
          `version.where(type.coding.where(system='${CHARTMINE_CODES}' and code='pipeline').exists()).count() = 1 and ` +
            `version.all(value.exists() and type.coding.where(system='${CHARTMINE_CODES}').exists())`
        ),
        invariant('cm-dev-5', 'Tagged with its pipeline version', `meta.tag.where(system='${PIPELINE_VERSION_TAG_SYSTEM}').count() = 1`),
      ],
    }),
    el('Device.meta', { min: 1 }),
    el('Device.identifier', { min: 1 }),
    el('Device.status', { min: 1 }),
    el('Device.manufacturer', { min: 1 }),
    el('Device.deviceName', { min: 1 }),
    el('Device.type', { min: 1 }),
    el('Device.version', { min: 2 }),
  ],
};

export const PROVENANCE_PROFILE: ProfileSource = {
  id: 'chartmine-provenance',
  name: 'ChartmineProvenance',
  title: 'Chartmine write-back Provenance',
  description:
    'One per write-back transaction (normally one per processed note version): `target` = every resource created, ' +
    'updated or retracted, versioned (`Type/id/_history/vid`) once the worker has read the versions from the ' +
    'transaction\'s answer, each followed by its unversioned twin (`Type/id`: servers that match reference strings ' +
    'exactly, such as Medplum, answer `Provenance?target=Type/id` through it); `entity` = the note version (role source; a superseded predecessor has role removal); ' +
    '`agent` = the pipeline Device (assembler); `activity` = CREATE, UPDATE or NULLIFY (v3 DataOperation); `reason` ' +
    'says why findings were retracted.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Provenance',
  type: 'Provenance',
  kind: 'resource',
  elements: [
    el('Provenance', {
      constraint: [
        invariant('cm-prov-1', 'Claims this profile', claims(PROFILES.provenance)),
        invariant(
          'cm-prov-2',
          'Targets are versioned, each with its unversioned twin beside it (for servers that match reference strings ' +
            'exactly), unless tagged as pending (written in the transaction, versions still to be stamped)',
          `meta.tag.where(system='${TARGETS_PENDING_TAG.system}' and code='${TARGETS_PENDING_TAG.code}').exists() or ` +
            "(target.where(reference.contains('/_history/')).exists() and " +
            "target.where(reference.contains('/_history/').not()).count() <= target.where(reference.contains('/_history/')).count())"
        ),
        invariant(
          'cm-prov-3',
          'The pipeline Device is the assembler',
          "agent.where(type.coding.where(system='http://terminology.hl7.org/CodeSystem/provenance-participant-type' and code='assembler').exists() " +
            "and (who.reference.startsWith('Device/') or who.reference.startsWith('urn:uuid:'))).exists()"
        ),
        invariant(
          'cm-prov-4',
          'The note (or patient-feedback resource) is the source: versioned, unless it was deleted (then a reason says so)',
          "entity.where(role='source' and (what.reference.startsWith('DocumentReference/') or what.reference.startsWith('QuestionnaireResponse/') or what.reference.startsWith('Communication/'))).count() = 1 and " +
            "(entity.where(role='source').what.reference.contains('/_history/') or reason.exists())"
        ),
        invariant(
          'cm-prov-5',
          'Activity from v3 DataOperation: CREATE, UPDATE or NULLIFY',
          "activity.coding.where(system='http://terminology.hl7.org/CodeSystem/v3-DataOperation' and (code='CREATE' or code='UPDATE' or code='NULLIFY')).exists()"
        ),
        invariant(
          'cm-prov-6',
          'Tagged with the source document, the pipeline version and the run',
          `meta.tag.where(system='${SOURCE_DOCUMENT_TAG_SYSTEM}').exists() and meta.tag.where(system='${PIPELINE_VERSION_TAG_SYSTEM}').count() = 1 ` +
            `and meta.tag.where(system='${RUN_TAG_SYSTEM}').count() = 1`
        ),
      ],
    }),
    el('Provenance.meta', { min: 1 }),
    el('Provenance.activity', { min: 1 }),
    el('Provenance.entity', { min: 1 }),
  ],
};

export const AUDIT_EVENT_PROFILE: ProfileSource = {
  id: 'chartmine-audit-event',
  name: 'ChartmineAuditEvent',
  title: 'Chartmine processing run (AuditEvent)',
  description:
    'One per processing run of a note (each job attempt, whether it wrote, changed nothing, skipped or failed): the ' +
    'note version, the pipeline Device, the outcome and counts. Never any note text: details are counts, ids and ' +
    'error codes only.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/AuditEvent',
  type: 'AuditEvent',
  kind: 'resource',
  elements: [
    el('AuditEvent', {
      constraint: [
        invariant('cm-ae-1', 'Claims this profile', claims(PROFILES.auditEvent)),
        invariant('cm-ae-2', 'A note-analysis run', `subtype.where(system='${CHARTMINE_CODES}' and code='analyze-note').exists()`),
        invariant('cm-ae-3', 'About one note (or patient-feedback resource)', "entity.where((what.reference.startsWith('DocumentReference/') or what.reference.startsWith('QuestionnaireResponse/') or what.reference.startsWith('Communication/'))).count() = 1"),
        invariant(
          'cm-ae-4',
          'Performed by the pipeline Device',
          "agent.where(who.reference.startsWith('Device/') or who.reference.startsWith('urn:uuid:')).exists()"
        ),
      ],
    }),
    el('AuditEvent.meta', { min: 1 }),
    el('AuditEvent.subtype', { min: 1 }),
    el('AuditEvent.action', { min: 1 }),
    el('AuditEvent.outcome', { min: 1 }),
    el('AuditEvent.outcomeDesc', { min: 1 }),
    el('AuditEvent.entity', { min: 1 }),
  ],
};

export const AUDIT_PROFILE_SOURCES: readonly ProfileSource[] = [DEVICE_PROFILE, PROVENANCE_PROFILE, AUDIT_EVENT_PROFILE];
