/**
 * Onset as the text supports it: a year written right after a problem, in its sentence ("MI in 2015", "diabetes
 * since 2010", "CABG (2019)", "stroke 2008"). Anything vaguer ("years ago", "as a child") gives no onset. Pure.
 */
import type { Span } from '../nlp/types.js';

/** How far after the mention a year may be, in UTF-16 code units: "<problem> diagnosed in 2015". */
const ONSET_WINDOW = 32;
const ONSET_AFTER = /^[\s,]*(?:(?:was\s+|were\s+)?(?:diagnosed|dx'?d?|noted|found|treated|status\s+post|s\/p))?[\s,]*(?:in|since|from|on|circa|c\.|around|of|at)?\s*\(?\s*(?:(?:0?[1-9]|1[0-2])\/)?((?:19|20)\d\d)\b(?!\s*(?:mg|mcg|g|units?|ml|mL|%))/i;

/**
 * The year written right after a mention, if any.
 * @param text - the note text.
 * @param span - the mention.
 * @param sentence - the mention's sentence (the year must be inside it).
 * @returns the year, or undefined.
 */
export function findOnsetYear(text: string, span: Span, sentence: Span): number | undefined {
  const end = Math.min(sentence.end, span.end + ONSET_WINDOW);
  if (end <= span.end) return undefined;
  const after = text.slice(span.end, end);
  const match = ONSET_AFTER.exec(after);
  if (!match) return undefined;
  const year = Number(match[1]);
  return year >= 1900 ? year : undefined;
}
