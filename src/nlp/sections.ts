/**
 * Section detection: finds headers in their common spellings and layouts and splits the note into sections,
 * each mapped to a `SectionKind` and a LOINC document-section code. Pure: the header table comes in as data.
 *
 * A header is a known phrase (see `models/lexicons/section-headers.tsv`) that
 * - starts a line (after optional bullets) and ends with `:` or `-`, or stands alone on its line; or
 * - is written in capitals and ends with `:` after a `.`, `,` or `;` (transcribed notes that run headers inline,
 *   e.g. `...stable.,PAST MEDICAL HISTORY:, Hypertension`).
 * Unknown capitalised headers followed by `:` start an `other` section unless the table lists them as sub-headers
 * (body systems such as `HEENT:` or `LUNGS:` inside an exam), which never end the section they are in.
 */
import { addPhrase, createTrie, longestAt, type TrieNode } from './phrase-trie.js';
import { phraseNorms } from './tokenize.js';
import type { Section, SectionKind, Token } from './types.js';

/** What a section says about every mention in it (ConText's section context). */
export type SectionContext = 'historical' | 'family' | 'hypothetical';

/** One row of the header table. */
export interface SectionHeaderRule {
  readonly header: string;
  readonly kind: SectionKind | 'subsection';
  /** Fine-grained name, e.g. `preoperative-diagnosis`. */
  readonly name: string;
  readonly loinc: string | undefined;
  readonly context: SectionContext | undefined;
}

/** The compiled header table. */
export interface SectionTable {
  readonly trie: TrieNode<SectionHeaderRule>;
  /** Longest header in tokens, to bound the look-ahead. */
  readonly maxTokens: number;
  /** Section context by fine-grained section name. */
  readonly contextByName: ReadonlyMap<string, SectionContext>;
}

/** A detected section with the fine-grained name of its header (`Section` plus `name`). */
export type NamedSection = Section & { readonly name: string };

const SECTION_CONTEXTS: ReadonlySet<string> = new Set(['historical', 'family', 'hypothetical']);

const SECTION_KINDS: ReadonlySet<string> = new Set<SectionKind | 'subsection'>([
  'chief-complaint',
  'history-present-illness',
  'past-medical-history',
  'past-surgical-history',
  'medications',
  'discharge-medications',
  'allergies',
  'family-history',
  'social-history',
  'review-of-systems',
  'physical-exam',
  'vital-signs',
  'results',
  'assessment',
  'plan',
  'assessment-and-plan',
  'impression',
  'hospital-course',
  'procedures',
  'immunizations',
  'other',
  'subsection',
]);

/** Longest unknown capitalised header we accept, in tokens (`MISCELLANEOUS/EATING HISTORY:` is 4). */
const MAX_UNKNOWN_HEADER_TOKENS = 6;

/**
 * Parses the header table (TSV: header, kind, name, loinc; `#` comments).
 * @param tsv - the file content.
 * @returns the rules; throws on a malformed row, naming its line number.
 */
export function parseSectionHeaders(tsv: string): SectionHeaderRule[] {
  const rules: SectionHeaderRule[] = [];
  tsv.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [header, kind, name, loinc, context] = line.split('\t');
    if (!header || !kind || !SECTION_KINDS.has(kind) || (context && !SECTION_CONTEXTS.has(context))) {
      throw new Error(`section-headers.tsv line ${i + 1}: expected header, kind, name, loinc, context`);
    }
    rules.push({
      header,
      kind: kind as SectionHeaderRule['kind'],
      name: name || kind,
      loinc: loinc || undefined,
      context: (context || undefined) as SectionContext | undefined,
    });
  });
  return rules;
}

/**
 * Compiles header rules into a table.
 * @param rules - the parsed rules.
 * @returns the table.
 */
export function compileSectionTable(rules: readonly SectionHeaderRule[]): SectionTable {
  const trie = createTrie<SectionHeaderRule>();
  const contextByName = new Map<string, SectionContext>();
  let maxTokens = 1;
  for (const rule of rules) {
    const norms = phraseNorms(rule.header);
    addPhrase(trie, norms, rule);
    maxTokens = Math.max(maxTokens, norms.length);
    if (rule.context) contextByName.set(rule.name, rule.context);
  }
  return { trie, maxTokens, contextByName };
}

interface HeaderHit {
  readonly start: number;
  /** End of the header including its `:` or `-`. */
  readonly end: number;
  readonly rule: SectionHeaderRule | undefined;
}

/**
 * Splits a note into sections.
 * @param text - the note text.
 * @param tokens - the note's tokens (from `tokenize(text)`).
 * @param table - the compiled header table.
 * @returns sections in order; empty when the note has no recognisable header. Text before the first header
 *   becomes an `other` section with an empty header.
 */
export function detectSections(text: string, tokens: readonly Token[], table: SectionTable): NamedSection[] {
  const hits = findHeaders(text, tokens, table);
  if (hits.length === 0) return [];
  const sections: NamedSection[] = [];
  const firstStart = hits[0].start;
  if (text.slice(0, firstStart).trim() !== '') {
    sections.push({ kind: 'other', name: 'preamble', header: { start: 0, end: 0 }, body: trimSpan(text, 0, firstStart) });
  }
  hits.forEach((hit, i) => {
    const bodyEnd = i + 1 < hits.length ? hits[i + 1].start : text.length;
    const rule = hit.rule;
    const kind: SectionKind = rule && rule.kind !== 'subsection' ? rule.kind : 'other';
    const section: NamedSection = {
      kind,
      name: rule ? rule.name : 'other',
      ...(rule?.loinc ? { loinc: rule.loinc } : {}),
      header: { start: hit.start, end: hit.end },
      body: trimSpan(text, hit.end, bodyEnd),
    };
    sections.push(section);
  });
  return sections.flatMap((section) => splitExamFromVitals(text, section));
}

/**
 * Body systems an examination goes through. Notes often give the vital signs a header and then go straight on to
 * `HEENT:`, `Lungs:`, `CV:` without a physical-examination header: those lines are the examination.
 */
const EXAM_SYSTEM_RE =
  /(?:^|[\n.,;|])[ \t]*((?:gen|general|general appearance|constitutional|heent|head|eyes|ears|neck|lungs?|chest|resp|respiratory|pulmonary|heart|cardiac|cardiovascular|cvs?|abd|abdomen|abdominal|ext|extremities|skin|neuro|neurologic|neurological|msk|musculoskeletal)[ \t]*:)/i;

/**
 * Splits a vital-signs section at its first body-system label: what follows is the physical examination.
 * @param text - the note text.
 * @param section - a section.
 * @returns the section, or the vital signs and the examination that follows them.
 */
function splitExamFromVitals(text: string, section: NamedSection): NamedSection[] {
  if (section.kind !== 'vital-signs') return [section];
  const m = EXAM_SYSTEM_RE.exec(text.slice(section.body.start, section.body.end));
  if (!m) return [section];
  const off = m.index + m[0].length - m[1].length; // where the label itself starts
  const at = section.body.start + off;
  if (off === 0) return [{ ...section, kind: 'physical-exam', name: 'physical-exam', loinc: EXAM_LOINC }];
  return [
    { ...section, body: trimSpan(text, section.body.start, at) },
    { kind: 'physical-exam', name: 'physical-exam', loinc: EXAM_LOINC, header: { start: at, end: at }, body: trimSpan(text, at, section.body.end) },
  ];
}

/** LOINC document section "Physical findings". */
const EXAM_LOINC = '29545-1';

/**
 * Positions of sub-headers (`HEENT:`, `Lungs:`) that split sentences without starting a section.
 * @param text - the note text.
 * @param tokens - the note's tokens.
 * @param table - the compiled header table.
 * @returns the offsets where a sub-header starts.
 */
export function findSubheaderStarts(text: string, tokens: readonly Token[], table: SectionTable): number[] {
  const starts: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].kind !== 'word' || !isCandidateStart(text, tokens, i)) continue;
    const m = longestAt(table.trie, tokens, i, Math.min(tokens.length, i + table.maxTokens));
    if (m && m.values[0].kind === 'subsection' && colonAfter(text, tokens[m.endToken - 1].end) >= 0) {
      starts.push(tokens[i].start);
    } else if (isCapitalised(text, tokens[i].start) && titleHeaderEnd(text, tokens, i) >= 0) {
      starts.push(tokens[i].start); // "Menstrual History:", "Lungs:": a label that opens a new statement
    }
  }
  return starts;
}

function findHeaders(text: string, tokens: readonly Token[], table: SectionTable): HeaderHit[] {
  const hits: HeaderHit[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind !== 'word') continue;
    const lineStart = isLineStart(text, token.start);
    if (!lineStart && !afterInlineBreak(text, token.start) && !afterWideGap(text, token.start)) continue;
    const m = longestAt(table.trie, tokens, i, Math.min(tokens.length, i + table.maxTokens));
    if (m) {
      const last = tokens[m.endToken - 1];
      const rule = m.values[0];
      const colonEnd = colonAfter(text, last.end);
      const upper = isUpperCase(text, token.start, last.end);
      const capitalised = isCapitalised(text, token.start) && afterSentenceEnd(text, token.start);
      const accepted =
        (colonEnd >= 0 && (lineStart || upper || capitalised)) ||
        (lineStart && colonEnd < 0 && aloneOnLine(text, last.end));
      if (accepted && rule.kind !== 'subsection') {
        hits.push({ start: token.start, end: colonEnd >= 0 ? colonEnd : last.end, rule });
        i = m.endToken - 1;
        continue;
      }
      if (accepted) {
        i = m.endToken - 1;
        continue;
      }
    }
    const unknown = unknownHeaderEnd(text, tokens, i);
    if (unknown >= 0) {
      const j = firstTokenEndingAfter(tokens, i, unknown);
      const sub = longestAt(table.trie, tokens, i, i + 1);
      if (!sub || sub.values[0].kind !== 'subsection') {
        hits.push({ start: token.start, end: unknown, rule: undefined });
      }
      i = j;
    }
  }
  return hits;
}

/** End offset (after the colon) of an unknown ALL-CAPS header starting at token `i`, or -1. */
function unknownHeaderEnd(text: string, tokens: readonly Token[], i: number): number {
  let words = 0;
  for (let j = i; j < tokens.length && j < i + MAX_UNKNOWN_HEADER_TOKENS + 2; j++) {
    const t = tokens[j];
    if (t.kind === 'word') {
      if (t.end - t.start < 2 && words === 0) return -1;
      if (!isUpperCase(text, t.start, t.end)) return -1;
      words++;
      if (words > MAX_UNKNOWN_HEADER_TOKENS) return -1;
    } else if (t.norm === ':') {
      if (words === 0 || text.slice(tokens[i].start, t.start).includes('\n')) return -1;
      return t.end;
    } else if (t.norm !== '/' && t.norm !== '&' && t.norm !== '-') {
      return -1;
    }
  }
  return -1;
}

function firstTokenEndingAfter(tokens: readonly Token[], from: number, offset: number): number {
  let j = from;
  while (j + 1 < tokens.length && tokens[j].end < offset) j++;
  return j;
}

/** Longest parenthetical aside between a header and its colon, in characters. */
const MAX_HEADER_ASIDE_CHARS = 30;

/** Offset just after a `:` or ` -` that follows `pos` (spaces allowed before it), or -1. */
function colonAfter(text: string, pos: number): number {
  let p = pos;
  while (p < text.length && (text[p] === ' ' || text[p] === '\t')) p++;
  if (text[p] === '(') {
    // a short aside before the colon: "ALLERGIES (verified w/ pt):", "Meds (home):"
    const close = text.indexOf(')', p);
    if (close > p && close - p <= MAX_HEADER_ASIDE_CHARS && !text.slice(p, close).includes('\n')) {
      let q = close + 1;
      while (q < text.length && (text[q] === ' ' || text[q] === '\t')) q++;
      if (text[q] === ':') return q + 1;
    }
    return -1;
  }
  if (text[p] === ':') return p + 1;
  if (text[p] === '-' && p > pos && (text[p + 1] === ' ' || text[p + 1] === '\n')) return p + 1;
  return -1;
}

function aloneOnLine(text: string, pos: number): boolean {
  let p = pos;
  while (p < text.length && (text[p] === ' ' || text[p] === '\t')) p++;
  return p >= text.length || text[p] === '\n' || text[p] === '\r';
}

/** True when only spaces, tabs and bullets stand between the previous newline (or the start) and `pos`. */
function isLineStart(text: string, pos: number): boolean {
  for (let p = pos - 1; p >= 0; p--) {
    const c = text[p];
    if (c === '\n' || c === '\r') return true;
    if (c !== ' ' && c !== '\t' && c !== '-' && c !== '*' && c !== '\u2022' && c !== '#') return false;
  }
  return true;
}

/** True after `.`, `,`, `;` or `:` (spaces allowed): where transcribed notes run an inline header. */
function afterInlineBreak(text: string, pos: number): boolean {
  let p = pos - 1;
  while (p >= 0 && (text[p] === ' ' || text[p] === '\t')) p--;
  return p >= 0 && (text[p] === '.' || text[p] === ',' || text[p] === ';' || text[p] === ':');
}

/** True after `.` or `;` (spaces allowed). */
function afterSentenceEnd(text: string, pos: number): boolean {
  let p = pos - 1;
  while (p >= 0 && (text[p] === ' ' || text[p] === '\t')) p--;
  return p >= 0 && (text[p] === '.' || text[p] === ';');
}

function isCapitalised(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos);
  return c >= 65 && c <= 90;
}

function isCandidateStart(text: string, tokens: readonly Token[], i: number): boolean {
  const pos = tokens[i].start;
  return isLineStart(text, pos) || afterInlineBreak(text, pos) || afterWideGap(text, pos);
}

/** True after two or more spaces or a tab: layouts that flatten lines into one ("...Obtainable ***   REFERRING"). */
function afterWideGap(text: string, pos: number): boolean {
  return pos >= 2 && (text[pos - 1] === '\t' || (text[pos - 1] === ' ' && (text[pos - 2] === ' ' || text[pos - 2] === '\t')));
}

/** End of a short label of words ending in `:` ("Menstrual History:"), or -1. */
function titleHeaderEnd(text: string, tokens: readonly Token[], i: number): number {
  for (let j = i; j < tokens.length && j < i + 5; j++) {
    const t = tokens[j];
    if (t.norm === ':') return j > i && !text.slice(tokens[i].start, t.start).includes('\n') ? t.end : -1;
    if (t.kind !== 'word' && t.norm !== '/' && t.norm !== '&') return -1;
  }
  return -1;
}

/** True when `text[start, end)` has letters and none of them is lower-case. */
function isUpperCase(text: string, start: number, end: number): boolean {
  let letters = 0;
  for (let p = start; p < end; p++) {
    const c = text.charCodeAt(p);
    if (c >= 97 && c <= 122) return false;
    if (c >= 65 && c <= 90) letters++;
  }
  return letters > 0;
}

function trimSpan(text: string, start: number, end: number): { start: number; end: number } {
  let s = start;
  let e = end;
  while (s < e && /[\s,;:]/.test(text[s])) s++;
  while (e > s && /[\s,]/.test(text[e - 1])) e--;
  return { start: s, end: e };
}
