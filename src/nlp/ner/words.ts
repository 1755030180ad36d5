/**
 * Word and sentence splitting with exact offsets. The word rule mirrors BERT's pre-tokenizer (runs of letters,
 * digits and marks; every other non-space character alone) and is the same rule the training recipe uses
 * (`models/ner/common.py: split_words`), so words at inference are the words the model was trained on.
 */
import type { Span } from '../types.js';

const WORD_RE = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;
/** A sentence ends at . ? or ! followed by white space and a capital, digit, quote or bracket (as in the recipe). */
const SENTENCE_BREAK_RE = /(?<=[.?!])\s+(?=[A-Z0-9"([])/g;

/**
 * Words of `text[start, end)` as absolute spans.
 * @param text - the text.
 * @param start - where to begin (default 0).
 * @param end - where to stop (default the end of the text).
 * @returns word spans in order.
 */
export function splitWords(text: string, start = 0, end = text.length): Span[] {
  const part = text.slice(start, end);
  const out: Span[] = [];
  for (const m of part.matchAll(WORD_RE)) {
    const s = start + (m.index ?? 0);
    out.push({ start: s, end: s + m[0].length });
  }
  return out;
}

/**
 * Splits text into lines, then lines into sentences, trimming white space. A fallback for callers without a
 * sentence splitter of their own.
 * @param text - the text.
 * @returns non-empty sentence spans in order.
 */
export function splitSentenceSpans(text: string): Span[] {
  const out: Span[] = [];
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    let segStart = 0;
    for (const m of line.matchAll(SENTENCE_BREAK_RE)) {
      pushTrimmed(out, text, lineStart + segStart, lineStart + (m.index ?? 0));
      segStart = (m.index ?? 0) + m[0].length;
    }
    pushTrimmed(out, text, lineStart + segStart, lineEnd);
    lineStart = lineEnd + 1;
  }
  return out;
}

function pushTrimmed(out: Span[], text: string, start: number, end: number): void {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s])) s++;
  while (e > s && /\s/.test(text[e - 1])) e--;
  if (e > s) out.push({ start: s, end: e });
}
