/**
 * Sentence splitting for clinical text: robust to line-wrapped paragraphs, bulleted and numbered lists, titles and
 * dotted abbreviations (`Dr.`, `b.i.d.`), decimals (`2.5`), vitals runs (`BP 120/80, HR 72`) and transcribed notes
 * that run sub-headers inline (`...clear.,Neck:  Supple`). Section headers are never part of a sentence.
 */
import type { Section, Sentence } from './types.js';

/** Words that end with a period without ending the sentence. */
const NO_SPLIT_BEFORE_PERIOD: ReadonlySet<string> = new Set([
  'dr', 'mr', 'mrs', 'ms', 'st', 'sr', 'jr', 'vs', 'no', 'nos', 'approx', 'fig', 'e.g', 'i.e', 'al', 'prof', 'inc',
  'ca', 'cf', 'resp', 'wt', 'ht', 'temp', 'hosp', 'dept', 'mt', 'ft', 'lb', 'lbs', 'oz',
]);

/** Words after which a wrapped line continues the same sentence. */
const CONTINUATION_WORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'of', 'with', 'the', 'a', 'an', 'to', 'for', 'in', 'on', 'no', 'not', 'without', 'denies', 'at', 'by',
  'from', 'as', 'but', 'including', 'is', 'was', 'were', 'are', 'has', 'had', 'have', 'her', 'his', 'their', 'this',
  'that', 'which', 'who', 'than', 'into', 'over', 'under', 'after', 'before', 'while', 'since', 'due', 'any', 'some',
]);

/** A line shorter than this stands alone (list items, tables, vitals lines) unless it clearly continues. */
const SHORT_LINE_CHARS = 40;

/**
 * Splits the note into sentences, section by section.
 * @param text - the note text.
 * @param sections - sections from `detectSections` (empty: the whole text is one region).
 * @param extraBreaks - offsets where a sentence must start (sub-headers such as `HEENT:`), sorted.
 * @returns sentences in text order, trimmed of surrounding spaces and stray leading `,`/`;`.
 */
export function splitSentences(
  text: string,
  sections: readonly Section[],
  extraBreaks: readonly number[] = []
): Sentence[] {
  const sentences: Sentence[] = [];
  const regions =
    sections.length === 0
      ? [{ start: 0, end: text.length, section: -1 }]
      : sections.map((s, i) => ({ start: s.body.start, end: s.body.end, section: i }));
  let breakIndex = 0;
  for (const region of regions) {
    while (breakIndex < extraBreaks.length && extraBreaks[breakIndex] < region.start) breakIndex++;
    const breaks: number[] = [];
    for (let b = breakIndex; b < extraBreaks.length && extraBreaks[b] < region.end; b++) breaks.push(extraBreaks[b]);
    splitRegion(text, region.start, region.end, region.section, breaks, sentences);
  }
  return sentences;
}

function splitRegion(
  text: string,
  rs: number,
  re: number,
  section: number,
  breaks: readonly number[],
  out: Sentence[]
): void {
  let sentenceStart = rs;
  let b = 0;
  const emit = (end: number): void => {
    pushTrimmed(text, sentenceStart, end, section, out);
    sentenceStart = end;
  };
  for (let p = rs; p < re; p++) {
    while (b < breaks.length && breaks[b] <= p) {
      if (breaks[b] > sentenceStart) emit(breaks[b]);
      b++;
    }
    const c = text.charCodeAt(p);
    if (c === 10) {
      if (isLineBreakBoundary(text, p, rs, re)) emit(p + 1);
      continue;
    }
    if (c !== 46 && c !== 33 && c !== 63) continue; // . ! ?
    let q = p + 1;
    while (q < re && (text[q] === '.' || text[q] === '!' || text[q] === '?')) q++;
    while (q < re && (text[q] === '"' || text[q] === "'" || text[q] === ')' || text[q] === ']')) q++;
    const sentenceEnd = q;
    if (q < re && text[q] === ',') q++; // ".," joins sentences in transcribed notes
    if (q >= re) {
      emit(re);
      break;
    }
    if (!isSpace(text.charCodeAt(q)) && text[q - 1] !== ',') {
      p = q - 1;
      continue;
    }
    let n = q;
    while (n < re && isSpace(text.charCodeAt(n))) n++;
    if (n >= re) {
      emit(re);
      break;
    }
    if (!startsSentence(text.charCodeAt(n))) {
      p = q - 1;
      continue;
    }
    if (c === 46 && !periodEndsSentence(text, p, sentenceStart)) {
      p = q - 1;
      continue;
    }
    emit(sentenceEnd);
    p = q - 1;
  }
  if (sentenceStart < re) emit(re);
}

/** Uppercase letter, digit, opening bracket or quote, or a bullet. */
function startsSentence(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 40 || c === 34 || c === 39 || c === 45 || c === 42 || c === 0x2022
  );
}

/** Decides whether the period at `p` ends a sentence, given what precedes it. */
function periodEndsSentence(text: string, p: number, sentenceStart: number): boolean {
  let w = p;
  while (w > sentenceStart && /[A-Za-z0-9.]/.test(text[w - 1])) w--;
  const word = text.slice(w, p).toLowerCase();
  if (word === '') return true;
  if (NO_SPLIT_BEFORE_PERIOD.has(word)) return false;
  if (/^\d{1,2}$/.test(word) && text.slice(sentenceStart, w).trim().replace(/^[,;]/, '') === '') return false; // "1." list marker
  if (/^[a-z]$/.test(word) && (w === 0 || text[w - 1] === ' ') && /[A-Z]/.test(text[w])) return false; // initial "J."
  return true;
}

function isLineBreakBoundary(text: string, p: number, rs: number, re: number): boolean {
  let lineStart = p;
  while (lineStart > rs && text[lineStart - 1] !== '\n') lineStart--;
  const prev = text.slice(lineStart, p).trim();
  let nextEnd = p + 1;
  while (nextEnd < re && text[nextEnd] !== '\n') nextEnd++;
  const next = text.slice(p + 1, nextEnd).trim();
  if (prev === '' || next === '') return true;
  if (/[.:;!?]$/.test(prev)) return true;
  if (/^(?:[-*\u2022]|\d{1,2}[.)]\s|[a-z][.)]\s)/.test(next)) return true;
  if (/^[A-Z][A-Za-z /&]{0,30}:/.test(next)) return true;
  if (prev.length < SHORT_LINE_CHARS && !/,$/.test(prev)) return true;
  if (/^[a-z]/.test(next)) return false;
  if (/,$/.test(prev)) return false;
  const lastWord = /([A-Za-z]+)$/.exec(prev);
  if (lastWord && CONTINUATION_WORDS.has(lastWord[1].toLowerCase())) return false;
  return false;
}

function pushTrimmed(text: string, start: number, end: number, section: number, out: Sentence[]): void {
  let s = start;
  let e = end;
  while (s < e && (isSpace(text.charCodeAt(s)) || text[s] === ',' || text[s] === ';')) s++;
  while (e > s && (isSpace(text.charCodeAt(e - 1)) || text[e - 1] === ',')) e--;
  for (let p = s; p < e; p++) {
    const c = text.charCodeAt(p);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 127) {
      out.push({ start: s, end: e, section });
      return;
    }
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0;
}
