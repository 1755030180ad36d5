/**
 * What produced a finding: Chartmine's version, the pipeline version and its components (model, terminology,
 * lexicons with checksums). Pure.
 */
import { createHash } from 'node:crypto';
import type { Device } from '@medplum/fhirtypes';
import { DEVICE_IDENTIFIER_SYSTEM } from '../fhir/naming.js';
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

/**
 * The Device that stands for one pipeline version in Provenance.agent.
 * @param sw - the software info.
 * @returns the Device (no id: the gateway finds or creates it by identifier).
 */
export function buildPipelineDevice(sw: SoftwareInfo): Device {
  return {
    resourceType: 'Device',
    identifier: [{ system: DEVICE_IDENTIFIER_SYSTEM, value: `${sw.pipelineName}@${sw.pipelineVersion}` }],
    status: 'active',
    manufacturer: 'Chartmine',
    deviceName: [{ name: `Chartmine NLP pipeline ${sw.pipelineVersion}`, type: 'manufacturer-name' }],
    type: { text: 'Clinical natural language processing software' },
    version: [
      { type: { text: 'chartmine' }, value: sw.version },
      { type: { text: 'pipeline' }, value: sw.pipelineVersion },
      ...sw.components.map((c) => ({
        type: { text: c.name },
        value: c.sha256 ? `${c.version} sha256:${c.sha256}` : c.version,
      })),
    ],
  };
}
