/**
 * A cheap, conservative "could a phrase of this range be looked up?" test for {@link TerminologyIndex.hasTermWithin}:
 * true whenever `lookupTerm(surface)` can find a concept for some whole-word substring `surface` of the range, in any
 * group (it may also be true when it cannot). The pipeline uses it to decide which sentences the NER model must read.
 *
 * `lookupTerm` keys a phrase by its non-stop normalised tokens (`termKey`) and looks the key up in `terms`, and a
 * multi-word key's distinct sorted words in `bags`. A substring's key is the key of a run of the range's tokens,
 * except where the substring, tokenised on its own, reads the text differently:
 * - a roman numeral after "type", "stage", … is a number, so a substring that starts at the numeral reads it as a
 *   word ("ii") and one that starts at "type" reads it as `2`: such a token may be either;
 * - model words split at an apostrophe or a decimal mark ("Parkinson ' s", "2 . 5mg"), where the term tokenizer keeps
 *   one token, so a substring can start or end inside a token and re-tokenise the rest of that stretch of text
 *   ("s", "5mg"): every token of such a white-space-delimited chunk may be any norm that a whole-word part of the
 *   chunk has, or nothing (a re-tokenised part never has more tokens than the chunk's tokens it covers).
 * A trailing SNOMED CT semantic tag that `termKey` strips leaves the key of a shorter run, which is tried too.
 * Runs stop as soon as no term key starts with them (`termPrefixes`) and no bag can hold their words (`bagWords`,
 * `bagPairs`), so a sentence costs about one pass over its tokens.
 */
import type { IndexData } from './index-data.js';
import { hasBagPair } from './index-data.js';
import { bagKey, romanNumeralValue, STOP_WORDS, tokenize } from './normalize.js';

/** Where a model word boundary falls inside a term token: an apostrophe before a letter, a mark before a digit. */
const CUT_RE = /['\u2019](?=\p{L})|[.,](?=\p{N})/gu;
/** The NER model's word rule (`nlp/ner/words.ts`): runs of letters, digits and marks; any other character alone. */
const MODEL_WORD_RE = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;
/** A chunk with more model words than this is not enumerated: the range is conservatively accepted. */
const MAX_CHUNK_WORDS = 16;
/** A token choice that adds no word to the run (a re-tokenised chunk can have fewer tokens). */
const NOTHING = '\u0000';

/**
 * Whether some whole-word substring of `text[start, end)` may be a term of the index.
 * @param data - the index data.
 * @param text - the text.
 * @param start - start of the range (UTF-16 offset).
 * @param end - end of the range.
 * @returns false only when `lookupTerm` finds nothing for every whole-word substring of the range.
 */
export function hasTermWithin(data: IndexData, text: string, start: number, end: number): boolean {
  const range = text.slice(start, end);
  const tokens = tokenize(range);
  const choices: (readonly string[])[] = tokens.map((t) => withRoman(range.slice(t.start, t.end), t.norm, [t.norm]));
  CUT_RE.lastIndex = 0;
  for (let m = CUT_RE.exec(range); m !== null; m = CUT_RE.exec(range)) {
    let cs = m.index;
    while (cs > 0 && !/\s/.test(range[cs - 1])) cs--;
    let ce = m.index + 1;
    while (ce < range.length && !/\s/.test(range[ce])) ce++;
    const pool = chunkNorms(range, cs, ce);
    if (!pool) return true;
    tokens.forEach((t, i) => {
      if (t.start >= cs && t.end <= ce) choices[i] = pool;
    });
    CUT_RE.lastIndex = ce;
  }
  const words: string[] = [];
  for (let i = 0; i < choices.length; i++) {
    if (extendRun(data, choices, i, '', words, true, true)) return true;
  }
  return false;
}

/** A token's norms, plus both readings when it is a roman numeral. */
function withRoman(raw: string, norm: string, out: string[]): string[] {
  const roman = romanNumeralValue(raw);
  if (roman === undefined) return out;
  for (const n of [norm, raw.toLowerCase(), roman]) if (!out.includes(n)) out.push(n);
  return out;
}

/** Every norm of every token of every whole-word part of `range[cs, ce)`, and NOTHING; undefined when too long. */
function chunkNorms(range: string, cs: number, ce: number): string[] | undefined {
  const chunk = range.slice(cs, ce);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const w of chunk.matchAll(MODEL_WORD_RE)) {
    starts.push(w.index);
    ends.push(w.index + w[0].length);
  }
  if (starts.length > MAX_CHUNK_WORDS) return undefined;
  const out: string[] = [NOTHING];
  for (const s of starts) {
    for (const e of ends) {
      if (e <= s) continue;
      const part = chunk.slice(s, e);
      for (const t of tokenize(part)) {
        if (!out.includes(t.norm)) out.push(t.norm);
        withRoman(part.slice(t.start, t.end), t.norm, out);
      }
    }
  }
  return out;
}

/**
 * Extends the run that has the key `key` (its non-stop words `words`) with token `j`, depth first over the token's
 * norms. `termAlive`: some term key starts with `key`; `bagAlive`: some bag can hold `words`.
 */
function extendRun(
  data: IndexData,
  choices: readonly (readonly string[])[],
  j: number,
  key: string,
  words: string[],
  termAlive: boolean,
  bagAlive: boolean
): boolean {
  if (j >= choices.length) return false;
  for (const norm of choices[j]) {
    if (norm === NOTHING || STOP_WORDS.has(norm)) {
      // a leading stop word adds nothing (the run from the next token has the same key); inside, the key is unchanged
      if (key !== '' && extendRun(data, choices, j + 1, key, words, termAlive, bagAlive)) return true;
      continue;
    }
    const next = key === '' ? norm : `${key} ${norm}`;
    let term = termAlive;
    if (term) {
      if (data.terms.has(next)) return true;
      term = data.termPrefixes.has(next);
    }
    let bag = bagAlive && data.bagWords.has(norm);
    for (let w = 0; bag && w < words.length; w++) {
      if (words[w] !== norm && !hasBagPair(data, words[w], norm)) bag = false;
    }
    if (bag && key !== '' && data.bags.has(bagKey(next))) return true;
    if (!term && !bag) continue;
    words.push(norm);
    const found = extendRun(data, choices, j + 1, next, words, term, bag);
    words.pop();
    if (found) return true;
  }
  return false;
}
