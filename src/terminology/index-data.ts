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
  /** Every proper word-prefix of a multi-word term key ("type 2" of "type 2 diabetes"): lets the matcher stop
   * extending a window as soon as no term can start with it. */
  readonly termPrefixes: ReadonlySet<string>;
  /** Every word of a word-order-free key: a window with any other word cannot match a bag. */
  readonly bagWords: ReadonlySet<string>;
  /** Every pair of words that share a word-order-free key (see {@link bagPair}): a window whose words do not all
   * pair with its first word cannot match a bag. */
  readonly bagPairs: ReadonlySet<string>;
  /** Real words that are never treated as misspellings. */
  readonly knownWords: ReadonlySet<string>;
}

const TAB = 9;
const SPACE = 32;
const T_RECORD = 'T'.charCodeAt(0);
const C_RECORD = 'C'.charCodeAt(0);
const B_RECORD = 'B'.charCodeAt(0);
const R_RECORD = 'R'.charCodeAt(0);
const X_RECORD = 'X'.charCodeAt(0);
const K_RECORD = 'K'.charCodeAt(0);

/** Thrown when an index file is not in the expected format; the message names the line number, never content. */
export class IndexFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IndexFormatError';
  }
}

/**
 * The order-free key of a pair of words.
 * @param a - a word.
 * @param b - another word.
 * @returns the pair key.
 */
export function bagPair(a: string, b: string): string {
  return a < b ? `${a}\u0001${b}` : `${b}\u0001${a}`;
}

/**
 * Parses the decompressed text of an index file.
 * @param text - the file's text.
 * @returns the index data.
 * @throws IndexFormatError when the header or a record is malformed.
 */
export function parseIndexText(text: string): IndexData {
  // Lines are taken one at a time rather than with split('\n'): an array of every line (~350k) is load-time garbage
  // the process pays for in heap pages it keeps afterwards.
  const firstEnd = text.indexOf('\n');
  let header: IndexHeader;
  try {
    header = JSON.parse(firstEnd < 0 ? text : text.slice(0, firstEnd)) as IndexHeader;
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
  const termPrefixes = new Set<string>();
  const bagWords = new Set<string>();
  const bagPairs = new Set<string>();
  const knownWords = new Set<string>();
  /** Adds a key's words to the vocabulary without allocating an array per key. */
  const addKeyWords = (key: string): void => {
    let from = 0;
    let words = 0;
    for (let k = 0; k <= key.length; k++) {
      if (k === key.length || key.charCodeAt(k) === SPACE) {
        vocabulary.add(key.slice(from, k));
        if (k < key.length) termPrefixes.add(key.slice(0, k));
        from = k + 1;
        words++;
      }
    }
    const space = key.indexOf(' ');
    const first = space < 0 ? key : key.slice(0, space);
    if ((maxWordsByFirst.get(first) ?? 0) < words) maxWordsByFirst.set(first, words);
  };
  for (let i = 1, from = firstEnd < 0 ? text.length + 1 : firstEnd + 1; from <= text.length; i++) {
    const nl = text.indexOf('\n', from);
    const line = text.slice(from, nl < 0 ? text.length : nl);
    from = nl < 0 ? text.length + 1 : nl + 1;
    if (line === '') continue;
    const kind = line.charCodeAt(0);
    if (line.charCodeAt(1) !== TAB) throw new IndexFormatError(`line ${i + 1}: malformed record`);
    if (kind === T_RECORD) {
      const tab = line.indexOf('\t', 2);
      const key = line.slice(2, tab);
      terms.set(key, line.slice(tab + 1));
      addKeyWords(key);
    } else if (kind === C_RECORD) {
      conceptById.set(line.slice(2, line.indexOf('\t', 2)), conceptLines.length);
      conceptLines.push(line);
    } else if (kind === B_RECORD) {
      const tab = line.indexOf('\t', 2);
      const bag = line.slice(2, tab);
      bags.set(bag, line.slice(tab + 1));
      const bagWordList = bag.split(' ');
      for (let a = 0; a < bagWordList.length; a++) {
        bagWords.add(bagWordList[a]);
        for (let b = a + 1; b < bagWordList.length; b++) bagPairs.add(bagPair(bagWordList[a], bagWordList[b]));
      }
    } else if (kind === R_RECORD) {
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
    } else if (kind === X_RECORD) {
      const [, key, mode, words] = line.split('\t');
      if (mode !== 'require-before' && mode !== 'block-before' && mode !== 'block-after') {
        throw new IndexFormatError(`line ${i + 1}: unknown context rule mode`);
      }
      const list = contextRules.get(key) ?? [];
      list.push({ key, mode, words: words.split(' ') });
      contextRules.set(key, list);
    } else if (kind === K_RECORD) {
      for (const w of line.slice(2).split(' ')) knownWords.add(w);
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
    termPrefixes,
    bagWords,
    bagPairs,
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
