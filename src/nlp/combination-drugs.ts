/**
 * Combination products: a medication mention whose concept is a combination (Percocet, Entresto, Trelegy) becomes
 * one mention per ingredient, on the same span, so each ingredient is its own MedicationStatement (the gold standard
 * and RxNorm ingredient-level coding both count ingredients); likewise a compound finding ("nausea and vomiting")
 * becomes one problem mention per finding, as a coder records them. Pure.
 */
import type { Concept, TerminologyIndex } from '../terminology/types.js';
import type { Mention } from './types.js';

/**
 * Splits medication mentions of combination products into one mention per ingredient, and problem mentions of
 * compound findings ("N/V", "nausea and vomiting") into one per finding. Other mentions (allergies to a combination
 * product included: "allergic to Bactrim" is one allergy) pass unchanged.
 * @param mentions - the mentions, sorted.
 * @param terminology - resolves component ids to concepts.
 * @returns the mentions with combinations expanded, in the same order (ingredients in product order).
 */
export function splitCombinationProducts(mentions: readonly Mention[], terminology: Pick<TerminologyIndex, 'get'>): Mention[] {
  return mentions.flatMap((m) => {
    const components = m.kind === 'medication' || m.kind === 'problem' ? m.concept?.components : undefined;
    if (!components || components.length === 0) return [m];
    const parts = components.map((id) => terminology.get(id)).filter((c): c is Concept => c !== undefined);
    return parts.length === 0 ? [m] : parts.map((concept) => ({ ...m, concept }));
  });
}
