/**
 * Tokenizer: words, numbers and single punctuation marks with exact offsets into the note text.
 * Every stage that matches phrases (ConText triggers, abbreviations, the test terminology) tokenizes its phrases
 * with this same function, so a phrase matches a text exactly when their token norms are equal.
 */
import type { Token } from './types.js';

/**
 * Letters (Latin-1 and Latin Extended included), numbers with an optional decimal part, or any other single
 * non-space character. Words keep an inner apostrophe out (`patient's` is `patient`, `'`, `s`) so trigger phrases
 * written either way tokenize the same.
 */
const TOKEN_RE = /[A-Za-z\u00C0-\u024F]+|\d+(?:\.\d+)?|[^\sA-Za-z\d\u00C0-\u024F]/g;

/**
 * Tokenizes `text[start, end)`.
 * @param text - the note text.
 * @param start - first offset (default 0).
 * @param end - end offset, exclusive (default `text.length`).
 * @returns tokens in text order; `text.slice(t.start, t.end)` is the token's source text.
 */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  const source = start === 0 && end === text.length ? text : text.slice(start, end);
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(source)) !== null) {
    const raw = m[0];
    const c = raw.charCodeAt(0);
    const kind: Token['kind'] = c >= 48 && c <= 57 ? 'number' : isLetterCode(c) ? 'word' : 'punct';
    tokens.push({ start: start + m.index, end: start + m.index + raw.length, norm: raw.toLowerCase(), kind });
  }
  return tokens;
}

/**
 * Normalised token strings of a phrase, for building tries and lookup keys.
 * @param phrase - a lexicon phrase.
 * @returns the lower-cased token texts.
 */
export function phraseNorms(phrase: string): string[] {
  return tokenize(phrase).map((t) => t.norm);
}

/**
 * Index of the first token whose end is after `offset` (binary search), i.e. the first token at or after it.
 * @param tokens - tokens sorted by start.
 * @param offset - a text offset.
 * @returns an index in `[0, tokens.length]`.
 */
export function firstTokenAtOrAfter(tokens: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid].end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f);
}
