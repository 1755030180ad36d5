/**
 * Combines ConText's sentence-level decision with the section a mention is in, and collapses the three ConText
 * properties into the one `Assertion` a mention carries. Pure.
 */
import type { Assertion, ContextAttributes, RelativeCode, SectionKind } from '../types.js';

/** RoleCode for "a family member" when the section says family but the sentence names nobody. */
export const FAMILY_MEMBER: RelativeCode = 'FAMMEMB';

/** Section names (fine-grained, from the header table) whose content is hypothetical (instructions, warnings). */
const HYPOTHETICAL_SECTION_NAMES: ReadonlySet<string> = new Set(['discharge-instructions']);

/**
 * Applies section context: Family History makes the experiencer a relative, Past Medical/Surgical History makes
 * a mention historical, discharge instructions make it hypothetical. What the sentence says explicitly wins
 * (a negation stays a negation; "her mother" stays `MTH`).
 * @param attrs - ConText's decision for the sentence.
 * @param section - the section kind, if any.
 * @param sectionName - the section's fine-grained name, if any.
 * @returns the combined attributes.
 */
export function applySectionContext(
  attrs: ContextAttributes,
  section: SectionKind | undefined,
  sectionName?: string
): ContextAttributes {
  if (section === 'family-history' && attrs.experiencer === 'patient') {
    return { ...attrs, experiencer: 'family', relative: attrs.relative ?? FAMILY_MEMBER };
  }
  if ((section === 'past-medical-history' || section === 'past-surgical-history') && attrs.temporality === 'recent') {
    return { ...attrs, temporality: 'historical' };
  }
  if (sectionName && HYPOTHETICAL_SECTION_NAMES.has(sectionName) && attrs.temporality === 'recent') {
    return { ...attrs, temporality: 'hypothetical' };
  }
  return attrs;
}

/**
 * Collapses ConText properties into one assertion, in this order: negated, family (anyone other than the
 * patient), hypothetical, possible, historical, affirmed.
 * @param attrs - the combined attributes.
 * @returns the assertion and, for `family`, the relative when known.
 */
export function toAssertion(attrs: ContextAttributes): { assertion: Assertion; relative?: RelativeCode } {
  if (attrs.negation === 'negated') return { assertion: 'negated' };
  if (attrs.experiencer !== 'patient') {
    return { assertion: 'family', ...(attrs.relative ? { relative: attrs.relative } : {}) };
  }
  if (attrs.temporality === 'hypothetical') return { assertion: 'hypothetical' };
  if (attrs.negation === 'possible') return { assertion: 'possible' };
  if (attrs.temporality === 'historical') return { assertion: 'historical' };
  return { assertion: 'affirmed' };
}
