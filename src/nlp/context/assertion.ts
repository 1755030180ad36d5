/**
 * Combines ConText's sentence-level decision with the section a mention is in, and collapses the three ConText
 * properties into the one `Assertion` a mention carries. Pure.
 */
import type { SectionContext } from '../sections.js';
import type { Assertion, ContextAttributes, RelativeCode } from '../types.js';

/** RoleCode for "a family member" when the section says family but the sentence names nobody. */
export const FAMILY_MEMBER: RelativeCode = 'FAMMEMB';

/**
 * Applies section context (the `context` column of `section-headers.tsv`): Family History makes the experiencer a
 * relative; Past Medical/Surgical History, Social History and Allergies make a mention historical; discharge
 * instructions make it hypothetical. What the sentence says explicitly wins (a negation stays a negation, "her
 * mother" stays `MTH`, "will start" stays hypothetical).
 * @param attrs - ConText's decision for the sentence.
 * @param context - the section's context, if any.
 * @returns the combined attributes.
 */
export function applySectionContext(attrs: ContextAttributes, context: SectionContext | undefined): ContextAttributes {
  if (context === 'family' && attrs.experiencer === 'patient') {
    return { ...attrs, experiencer: 'family', relative: attrs.relative ?? FAMILY_MEMBER };
  }
  if (context === 'historical' && attrs.temporality === 'recent') return { ...attrs, temporality: 'historical' };
  if (context === 'hypothetical' && attrs.temporality === 'recent') return { ...attrs, temporality: 'hypothetical' };
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
