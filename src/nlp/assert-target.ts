/**
 * ConText for one given target in a text: what `chartmine assert` and the NegEx evaluation use. The text is
 * sectioned and split like a note, so a header in the text ("FAMILY HISTORY: ...") gives its section context.
 * Pure.
 */
import { applySectionContext, toAssertion } from './context/assertion.js';
import { DEFAULT_CONTEXT_SETTINGS, runContext, type ContextSettings } from './context/context.js';
import type { RuleLexicons } from './lexicons/rule-lexicons.js';
import { detectSections, findSubheaderStarts } from './sections.js';
import { splitSentences } from './sentences.js';
import { firstTokenAtOrAfter, tokenize } from './tokenize.js';
import type { Assertion, ContextAttributes, RelativeCode, Span } from './types.js';

/** The decision for one target. */
export interface TargetAssertion {
  readonly assertion: Assertion;
  readonly relative?: RelativeCode;
  readonly context: ContextAttributes;
  /** Offsets and categories of the triggers that decided it. */
  readonly triggers: readonly { readonly start: number; readonly end: number; readonly category: string }[];
}

/**
 * Decides the assertion of `text[span.start, span.end)`.
 * @param text - the text (a sentence or a whole note).
 * @param span - the target's offsets; must lie inside `text`.
 * @param lexicons - the compiled lexicons.
 * @param settings - ConText scope limits.
 * @returns the assertion, the ConText attributes behind it and the deciding triggers.
 */
export function assertTarget(
  text: string,
  span: Span,
  lexicons: RuleLexicons,
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS
): TargetAssertion {
  if (span.start < 0 || span.end > text.length || span.end <= span.start) {
    throw new RangeError(`target span [${span.start}, ${span.end}) is outside the text (length ${text.length})`);
  }
  const tokens = tokenize(text);
  const sections = detectSections(text, tokens, lexicons.sections);
  const sentences = splitSentences(text, sections, findSubheaderStarts(text, tokens, lexicons.sections));
  // the sentence(s) the target overlaps; a target inside a header is judged within its whole section
  const overlapping = sentences.filter((s) => s.start < span.end && span.start < s.end);
  const sentenceStart = overlapping.length > 0 ? overlapping[0].start : span.start;
  const sentenceEnd = overlapping.length > 0 ? overlapping[overlapping.length - 1].end : span.end;
  const from = Math.min(sentenceStart, span.start);
  const to = Math.max(sentenceEnd, span.end);
  const ts = firstTokenAtOrAfter(tokens, from);
  const te = firstTokenAtOrAfter(tokens, to);
  const startToken = firstTokenAtOrAfter(tokens, span.start);
  const endToken = Math.max(startToken + 1, firstTokenAtOrAfter(tokens, span.end));
  const [decision] = runContext(tokens, ts, te, [{ startToken, endToken }], lexicons.context, settings);
  const sectionIndex = overlapping.length > 0 ? overlapping[0].section : sectionAt(sections, span.start);
  const section = sectionIndex >= 0 ? sections[sectionIndex] : undefined;
  const { triggers, ...attrs } = decision;
  const context = applySectionContext(attrs, section ? lexicons.sections.contextByName.get(section.name) : undefined);
  return { ...toAssertion(context), context, triggers };
}

function sectionAt(sections: readonly { readonly header: Span; readonly body: Span }[], offset: number): number {
  for (let i = sections.length - 1; i >= 0; i--) if (sections[i].header.start <= offset) return i;
  return -1;
}
