/**
 * The parsed, in-memory form of an index file, and its parser. Concepts stay as their stored lines until first
 * use (most of the complete ICD-10-CM list is never touched by a worker), which keeps loading fast and small.
 */
import type { ContextRuleRecord, IndexHeader, Posting, RefinementRecord } from './index-format.js';
import { INDEX_FORMAT, parsePostings } from './index-format.js';

/** Everything an index holds. */
export interface IndexData {
  readonly header: IndexHeader;
  /** Concept lines (`C\t…`) in index order; parsed lazily. */
  readonly conceptLines: readonly string[];
  /** Concept index by id (`sct:38341003`). */
  readonly conceptById: ReadonlyMap<string, number>;
  /** Exact term key → postings, stored unparsed until first use. */
  readonly terms: ReadonlyMap<string, string>;
  /** Word-order-free key → postings, stored unparsed. */
  readonly bags: ReadonlyMap<string, string>;
  readonly refinements: ReadonlyMap<number, readonly RefinementRecord[]>;
  readonly contextRules: ReadonlyMap<string, readonly ContextRuleRecord[]>;
  /** Every word of every key. */
  readonly vocabulary: ReadonlySet<string>;
  /** First word of a key → the most words a key starting with it has. */
  readonly maxWordsByFirst: ReadonlyMap<string, number>;
  /** Real words that are never treated as misspellings. */
  readonly knownWords: ReadonlySet<string>;
}

/** Thrown when an index file is not in the expected format; the message names the line number, never content. */
export class IndexFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IndexFormatError';
  }
}

/**
 * Parses the decompressed text of an index file.
 * @param text - the file's text.
 * @returns the index data.
 * @throws IndexFormatError when the header or a record is malformed.
 */
export function parseIndexText(text: string): IndexData {
  const lines = text.split('\n');
  let header: IndexHeader;
  try {
    header = JSON.parse(lines[0]) as IndexHeader;
  } catch (err: unknown) {
    throw new IndexFormatError('index header is not JSON', { cause: err });
  }
  if (header.format !== INDEX_FORMAT) throw new IndexFormatError(`unsupported index format ${String(header.format)}`);
  const conceptLines: string[] = [];
  const conceptById = new Map<string, number>();
  const terms = new Map<string, string>();
  const bags = new Map<string, string>();
  const refinements = new Map<number, RefinementRecord[]>();
  const contextRules = new Map<string, ContextRuleRecord[]>();
  const vocabulary = new Set<string>();
  const maxWordsByFirst = new Map<string, number>();
  const knownWords = new Set<string>();
  const addKeyWords = (key: string): void => {
    let words = 1;
    let first = key;
    const space = key.indexOf(' ');
    if (space >= 0) {
      first = key.slice(0, space);
      for (const w of key.split(' ')) vocabulary.add(w);
      words = 1 + countSpaces(key);
    } else {
      vocabulary.add(key);
    }
    if ((maxWordsByFirst.get(first) ?? 0) < words) maxWordsByFirst.set(first, words);
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const kind = line.slice(0, tab);
    if (kind === 'T') {
      const tab2 = line.indexOf('\t', tab + 1);
      const key = line.slice(tab + 1, tab2);
      terms.set(key, line.slice(tab2 + 1));
      addKeyWords(key);
    } else if (kind === 'C') {
      const tab2 = line.indexOf('\t', tab + 1);
      conceptById.set(line.slice(tab + 1, tab2), conceptLines.length);
      conceptLines.push(line);
    } else if (kind === 'B') {
      const tab2 = line.indexOf('\t', tab + 1);
      bags.set(line.slice(tab + 1, tab2), line.slice(tab2 + 1));
    } else if (kind === 'R') {
      const [, concept, refinementKind, words, target] = line.split('\t');
      const record: RefinementRecord = {
        concept: Number(concept),
        kind: refinementKind === 'laterality' ? 'laterality' : 'qualifier',
        words: words.split(' '),
        target: Number(target),
      };
      const list = refinements.get(record.concept) ?? [];
      list.push(record);
      refinements.set(record.concept, list);
    } else if (kind === 'X') {
      const [, key, mode, words] = line.split('\t');
      if (mode !== 'require-before' && mode !== 'block-before' && mode !== 'block-after') {
        throw new IndexFormatError(`line ${i + 1}: unknown context rule mode`);
      }
      const list = contextRules.get(key) ?? [];
      list.push({ key, mode, words: words.split(' ') });
      contextRules.set(key, list);
    } else if (kind === 'K') {
      for (const w of line.slice(tab + 1).split(' ')) knownWords.add(w);
    } else {
      throw new IndexFormatError(`line ${i + 1}: unknown record type`);
    }
  }
  return {
    header,
    conceptLines,
    conceptById,
    terms,
    bags,
    refinements,
    contextRules,
    vocabulary,
    maxWordsByFirst,
    knownWords,
  };
}

/**
 * Reads the postings of a stored field.
 * @param field - the stored postings, or undefined.
 * @returns the postings (empty when none).
 */
export function postingsOf(field: string | undefined): Posting[] {
  return field === undefined ? [] : parsePostings(field);
}

function countSpaces(s: string): number {
  let n = 0;
  for (let i = s.indexOf(' '); i >= 0; i = s.indexOf(' ', i + 1)) n++;
  return n;
}
