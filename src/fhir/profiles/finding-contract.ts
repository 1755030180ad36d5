/**
 * The finding contract every derived-resource profile shares (identifier, tags, the three Chartmine extensions, at
 * least one `derivation-reference`, the core link to the note), and FHIRPath helpers for the profiles' invariants.
 */
import {
  ASSERTION_EXTENSION_URL,
  CHARTMINE_CODES,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  FINDING_IDENTIFIER_SYSTEM,
  PIPELINE_VERSION_EXTENSION_URL,
  PIPELINE_VERSION_TAG_SYSTEM,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from '../naming.js';
import { el, EXTENSION_SLICING, extensionSlice, invariant } from './profile-source.js';
import type { DiffElement } from './snapshot.js';

/** FHIRPath: the resource's assertion code. */
export const ASSERTION = `extension.where(url='${ASSERTION_EXTENSION_URL}').value`;

/** FHIRPath: the resource has been retracted (entered-in-error) by a later version of its note. */
export const RETRACTED_BY_STATUS = "status = 'entered-in-error'";
/**
 * The finding contract every derived resource shares.
 * @param type - the resource type.
 * @param profile - the profile's own URL (the resource must claim it).
 * @returns differential elements.
 */
export function findingContract(type: string, profile: string): DiffElement[] {
  return [
    el(type, {
      constraint: [
        invariant('cm-find-1', 'Claims this profile in meta.profile', `meta.profile.where($this = '${profile}').exists()`),
        invariant(
          'cm-find-2',
          'Tagged as NLP-derived, with the source document and the pipeline version',
          `meta.tag.where(system='${CHARTMINE_CODES}' and code='nlp-derived').exists() and ` +
            `meta.tag.where(system='${SOURCE_DOCUMENT_TAG_SYSTEM}').count() = 1 and ` +
            `meta.tag.where(system='${PIPELINE_VERSION_TAG_SYSTEM}').count() = 1`
        ),
        invariant(
          'cm-find-3',
          'Exactly one Chartmine finding identifier (stable for note and finding)',
          `identifier.where(system='${FINDING_IDENTIFIER_SYSTEM}' and value.exists()).count() = 1`
        ),
        invariant(
          'cm-find-4',
          'Every derivation-reference points at a DocumentReference with offset and length',
          `extension.where(url='${DERIVATION_REFERENCE_URL}').all(` +
            "extension.where(url='reference').value.reference.startsWith('DocumentReference/') and " +
            "extension.where(url='offset').exists() and extension.where(url='length').exists())"
        ),
      ],
    }),
    el(`${type}.meta`, { min: 1 }),
    el(`${type}.extension`, { slicing: EXTENSION_SLICING, min: 4 }),
    extensionSlice(type, 'derivation', DERIVATION_REFERENCE_URL, 1, '*'),
    extensionSlice(type, 'assertion', ASSERTION_EXTENSION_URL, 1, '1'),
    extensionSlice(type, 'confidence', CONFIDENCE_EXTENSION_URL, 1, '1'),
    extensionSlice(type, 'pipelineVersion', PIPELINE_VERSION_EXTENSION_URL, 1, '1'),
    el(`${type}.identifier`, { min: 1, mustSupport: true }),
  ];
}

/** FHIRPath: the core link to the note (a DocumentReference reference) exists at `path`. */
export const linksToNote = (path: string): string => `${path}.where(reference.startsWith('DocumentReference/')).exists()`;
