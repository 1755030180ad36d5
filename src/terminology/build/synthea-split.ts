/**
 * The Synthea evaluation split (see `shared/data/synthea-fhir/SOURCE.md`): these three patients are held out.
 * The terminology build never reads their resources, and `chartmine eval synthea` reports them as the headline.
 */
export const SYNTHEA_HELD_OUT_PATIENTS: ReadonlySet<string> = new Set([
  'a5cb8ce9-cec6-6b23-0990-cbaf753578a4',
  'ca15b832-01e4-41dd-6a52-97bd3e5510cb',
  '8e1a0a7c-e308-444b-075a-3c2b1f60f881',
]);

/**
 * Whether a patient reference (`Patient/<id>` or `urn:uuid:<id>`) is held out.
 * @param reference - the reference.
 * @returns true for the three evaluation patients.
 */
export function isHeldOutPatient(reference: string | undefined): boolean {
  if (!reference) return false;
  const id = reference.slice(reference.lastIndexOf('/') + 1).replace(/^urn:uuid:/, '');
  return SYNTHEA_HELD_OUT_PATIENTS.has(id);
}
