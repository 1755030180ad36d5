/**
 * What produced a finding: Chartmine's version, the pipeline version and its components (model, terminology,
 * lexicons with checksums). Pure.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Device } from '@medplum/fhirtypes';
import { CHARTMINE_CANONICAL, CHARTMINE_CODES, DEVICE_IDENTIFIER_SYSTEM, PIPELINE_VERSION_TAG_SYSTEM, PROFILES } from '../fhir/naming.js';
import { CHARTMINE_CONCEPTS } from '../fhir/profiles/terminology.js';
import type { ComponentInfo } from '../nlp/types.js';

/** The software behind a run. */
export interface SoftwareInfo {
  /** Chartmine's package version. */
  readonly version: string;
  readonly pipelineName: string;
  /** Changes whenever output for the same note may change: package version + pipeline and component versions. */
  readonly pipelineVersion: string;
  readonly components: readonly ComponentInfo[];
}

/**
 * Derives the software info from the package version and the pipeline's self-description.
 * @param packageVersion - Chartmine's version.
 * @param pipeline - the pipeline's `info`.
 * @returns the software info.
 */
export function buildSoftwareInfo(
  packageVersion: string,
  pipeline: { readonly name: string; readonly version: string; readonly components: readonly ComponentInfo[] }
): SoftwareInfo {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([packageVersion, pipeline.name, pipeline.version, pipeline.components]))
    .digest('hex')
    .slice(0, 12);
  return {
    version: packageVersion,
    pipelineName: pipeline.name,
    pipelineVersion: `${packageVersion}+${fingerprint}`,
    components: pipeline.components,
  };
}

/** Identifier system of the sha256 of a component's artifact (hex), in Device.version.component. */
export const SHA256_IDENTIFIER_SYSTEM = `${CHARTMINE_CANONICAL}/sid/sha256`;

/**
 * The Device that stands for one pipeline version in Provenance.agent and AuditEvent.agent (profile
 * `chartmine-pipeline-device`): Chartmine's version, the pipeline version, and each component — model, rules,
 * lexicons, terminology index — with its version and the sha256 of its artifact.
 * @param sw - the software info.
 * @returns the Device (no id: the gateway finds or creates it by identifier).
 */
export function buildPipelineDevice(sw: SoftwareInfo): Device {
  const versionType = (concept: { code: string; display: string }, text: string): CodeableConcept => ({
    coding: [{ system: CHARTMINE_CODES, ...concept }],
    text,
  });
  return {
    resourceType: 'Device',
    meta: {
      profile: [PROFILES.device],
      tag: [{ system: PIPELINE_VERSION_TAG_SYSTEM, code: sw.pipelineVersion }],
    },
    identifier: [{ system: DEVICE_IDENTIFIER_SYSTEM, value: deviceIdentifierValue(sw) }],
    status: 'active',
    manufacturer: 'Chartmine',
    deviceName: [
      { name: `Chartmine NLP pipeline ${sw.pipelineVersion}`, type: 'manufacturer-name' },
      { name: sw.pipelineName, type: 'model-name' },
    ],
    modelNumber: sw.pipelineName,
    type: { coding: [{ system: CHARTMINE_CODES, ...CHARTMINE_CONCEPTS.nlpPipeline }], text: 'Clinical natural language processing software' },
    version: [
      { type: versionType(CHARTMINE_CONCEPTS.software, 'chartmine'), value: sw.version },
      { type: versionType(CHARTMINE_CONCEPTS.pipeline, sw.pipelineName), value: sw.pipelineVersion },
      ...sw.components.map((c) => ({
        type: versionType(CHARTMINE_CONCEPTS.component, c.name),
        ...(c.sha256 ? { component: { system: SHA256_IDENTIFIER_SYSTEM, value: c.sha256 } } : {}),
        value: c.version,
      })),
    ],
  };
}

/**
 * The value of the Device's pipeline identifier: `<pipeline name>@<pipeline version>`.
 * @param sw - the software info.
 * @returns the value.
 */
export function deviceIdentifierValue(sw: Pick<SoftwareInfo, 'pipelineName' | 'pipelineVersion'>): string {
  return `${sw.pipelineName}@${sw.pipelineVersion}`;
}
