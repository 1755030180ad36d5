/** The software behind a feedback run: the note pipeline's components (medications, side effects) plus the classifier. Pure. */
import type { ComponentInfo } from '../nlp/types.js';
import { buildSoftwareInfo, type SoftwareInfo } from '../provenance/software.js';
import type { SentimentClassifier } from './sentiment.js';

/**
 * Builds the feedback pipeline's software info: its name and pipeline version name the classifier, so the Device in
 * every Provenance says which sentiment model (name and version) wrote the Observation.
 * @param packageVersion - Chartmine's version.
 * @param notePipeline - the note pipeline's components.
 * @param classifier - the sentiment classifier.
 * @returns the software info.
 */
export function buildFeedbackSoftwareInfo(
  packageVersion: string,
  notePipeline: { readonly components: readonly ComponentInfo[] },
  classifier: Pick<SentimentClassifier, 'name' | 'version'>
): SoftwareInfo {
  return buildSoftwareInfo(packageVersion, {
    name: `chartmine-feedback+${classifier.name}`,
    version: classifier.version,
    components: [...notePipeline.components, { name: classifier.name, version: classifier.version }],
  });
}
