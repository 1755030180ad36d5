/**
 * Tokenizer: words, numbers and single punctuation marks with exact offsets into the note text.
 * Every stage that matches phrases (ConText triggers, abbreviations, the test terminology) tokenizes its phrases
 * with this same function, so a phrase matches a text exactly when their token norms are equal.
 */
import type { Token } from './types.js';

/**
 * Tokenizes `text[start, end)`: runs of letters (Latin-1 and Latin Extended included), numbers with an optional
 * decimal part, or any other single non-space UTF-16 code unit. Words keep an inner apostrophe out (`patient's` is
 * `patient`, `'`, `s`) so trigger phrases written either way tokenize the same. A hand-written scanner rather than
 * a regular expression: it is the hottest loop of the rule stages.
 * @param text - the note text.
 * @param start - first offset (default 0).
 * @param end - end offset, exclusive (default `text.length`).
 * @returns tokens in text order; `text.slice(t.start, t.end)` is the token's source text.
 */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSpaceCode(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    let kind: Token['kind'];
    if (isLetterCode(c)) {
      while (j < end && isLetterCode(text.charCodeAt(j))) j++;
      kind = 'word';
    } else if (c >= 48 && c <= 57) {
      while (j < end && isDigitCode(text.charCodeAt(j))) j++;
      if (j + 1 < end && text.charCodeAt(j) === 46 && isDigitCode(text.charCodeAt(j + 1))) {
        j += 2;
        while (j < end && isDigitCode(text.charCodeAt(j))) j++;
      }
      kind = 'number';
    } else {
      kind = 'punct';
    }
    const raw = text.slice(i, j);
    tokens.push({ start: i, end: j, norm: kind === 'word' ? raw.toLowerCase() : raw, kind });
    i = j;
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
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0x24f);
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The characters JavaScript's `\s` matches. */
function isSpaceCode(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}
