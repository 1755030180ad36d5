/**
 * The parsed, in-memory form of an index file, and its parser. It is held by every process that runs workers for
 * its whole life, so it is kept compact: term keys and postings stay as ranges of one string ({@link SpanTable}),
 * concept lines stay compressed until first use ({@link PackedLines}; most of the complete ICD-10-CM list is never
 * touched by a worker), which keeps loading fast and the heap ~14 MB instead of ~70 MB.
 */
import type { ContextRuleRecord, IndexHeader, Posting, RefinementRecord } from './index-format.js';
import { INDEX_FORMAT, parsePostings, SEMANTIC_GROUPS } from './index-format.js';
import { PackedLines } from './packed-lines.js';
import { SpanTable } from './span-table.js';
import type { SemanticGroup } from './types.js';

/** Everything an index holds. */
export interface IndexData {
  readonly header: IndexHeader;
  /** Concept lines (`C\t…`) in index order; parsed lazily. */
  readonly conceptLines: PackedLines;
  /** Concept ids (`sct:38341003`); an id's entry number is its concept index. */
  readonly conceptIds: SpanTable;
  /** Each concept's semantic group, as its position in {@link SEMANTIC_GROUPS}. */
  readonly conceptGroups: Uint8Array;
  /** Exact term key → postings, stored unparsed until first use. */
  readonly terms: SpanTable;
  /** Word-order-free key → postings, stored unparsed. */
  readonly bags: SpanTable;
  readonly refinements: ReadonlyMap<number, readonly RefinementRecord[]>;
  readonly contextRules: ReadonlyMap<string, readonly ContextRuleRecord[]>;
  /** Every word of every key. */
  readonly vocabulary: ReadonlySet<string>;
  /** First word of a key → the most words a key starting with it has. */
  readonly maxWordsByFirst: ReadonlyMap<string, number>;
  /** Every proper word-prefix of a multi-word term key ("type 2" of "type 2 diabetes"): lets the matcher stop
   * extending a window as soon as no term can start with it. */
  readonly termPrefixes: SpanTable;
  /** Every word of a word-order-free key, with a number for {@link hasBagPair}: a window with any other word
   * cannot match a bag. */
  readonly bagWords: ReadonlyMap<string, number>;
  /** Every pair of words that share a word-order-free key, as numbers (see {@link hasBagPair}). */
  readonly bagPairs: ReadonlySet<number>;
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
const GROUP_NUMBER: ReadonlyMap<string, number> = new Map(SEMANTIC_GROUPS.map((g, i) => [g, i]));
/** The group of a concept whose group the index does not name. */
const DEFAULT_GROUP = GROUP_NUMBER.get('finding') ?? 0;

/** Thrown when an index file is not in the expected format; the message names the line number, never content. */
export class IndexFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IndexFormatError';
  }
}

/**
 * Whether two words share a word-order-free key.
 * @param data - the index.
 * @param a - a word.
 * @param b - another word.
 * @returns true when some bag holds both.
 */
export function hasBagPair(data: IndexData, a: string, b: string): boolean {
  const x = data.bagWords.get(a);
  const y = data.bagWords.get(b);
  return x !== undefined && y !== undefined && data.bagPairs.has(pairNumber(x, y, data.bagWords.size));
}

function pairNumber(x: number, y: number, words: number): number {
  return x < y ? x * words + y : y * words + x;
}

/**
 * A concept's semantic group.
 * @param data - the index.
 * @param concept - a concept index.
 * @returns its group.
 */
export function groupOfConcept(data: IndexData, concept: number): SemanticGroup {
  return SEMANTIC_GROUPS[data.conceptGroups[concept]];
}

/**
 * A copy of a string that shares no memory with it.
 * @param s - a string (a slice of a larger one, say).
 * @returns an equal string of its own.
 */
function copyOf(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * Calls `visit` with the start and end of each line of `text` from `from` on, skipping blank lines.
 * @param text - the text.
 * @param from - where the first line starts.
 * @param visit - called per non-blank line with its start, its end and its 1-based number counted from `from`.
 */
function forEachLine(text: string, from: number, visit: (start: number, end: number, n: number) => void): void {
  for (let n = 1; from <= text.length; n++) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    if (end > from) visit(from, end, n);
    from = end + 1;
  }
}

/**
 * Parses the decompressed text of an index file.
 * @param text - the file's text.
 * @returns the index data.
 * @throws IndexFormatError when the header or a record is malformed, or a concept id, term key or bag key is
 * given twice.
 */
export function parseIndexText(text: string): IndexData {
  const firstEnd = text.indexOf('\n');
  let header: IndexHeader;
  try {
    header = JSON.parse(firstEnd < 0 ? text : text.slice(0, firstEnd)) as IndexHeader;
  } catch (err: unknown) {
    throw new IndexFormatError('index header is not JSON', { cause: err });
  }
  if (header.format !== INDEX_FORMAT) throw new IndexFormatError(`unsupported index format ${String(header.format)}`);
  // First pass: concepts into compressed blocks, term and bag records into a list joined below into one string of
  // their own (the file's text, 70 % concept lines, is garbage once this returns), the small records parsed.
  const conceptLines = new PackedLines();
  const ids: string[] = [];
  const groups: number[] = [];
  const keyed: string[] = [];
  const refinements = new Map<number, RefinementRecord[]>();
  const contextRules = new Map<string, ContextRuleRecord[]>();
  const knownWords = new Set<string>();
  forEachLine(text, firstEnd < 0 ? text.length + 1 : firstEnd + 1, (from, to, n) => {
    const kind = text.charCodeAt(from);
    // A part of a slice of the file's text can keep all of it alive: the records kept as strings are copied.
    const line = kind === T_RECORD || kind === B_RECORD || kind === C_RECORD ? text.slice(from, to) : copyOf(text.slice(from, to));
    if (line.charCodeAt(1) !== TAB) throw new IndexFormatError(`line ${n + 1}: malformed record`);
    if (kind === T_RECORD || kind === B_RECORD) {
      keyed.push(line);
    } else if (kind === C_RECORD) {
      const a = line.indexOf('\t', 2);
      ids.push(line.slice(2, a));
      groups.push(GROUP_NUMBER.get(line.slice(a + 1, line.indexOf('\t', a + 1))) ?? DEFAULT_GROUP);
      conceptLines.add(line);
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
        throw new IndexFormatError(`line ${n + 1}: unknown context rule mode`);
      }
      const list = contextRules.get(key) ?? [];
      list.push({ key, mode, words: words.split(' ') });
      contextRules.set(key, list);
    } else if (kind === K_RECORD) {
      for (const w of line.slice(2).split(' ')) knownWords.add(w);
    } else {
      throw new IndexFormatError(`line ${n + 1}: unknown record type`);
    }
  });
  conceptLines.seal();
  const idText = ids.join('\n');
  const conceptIds = new SpanTable(idText);
  forEachLine(idText, 0, (from, to) => {
    const size = conceptIds.size;
    if (conceptIds.add(from, to) !== size) throw new IndexFormatError('a concept id is given twice');
  });
  if (conceptIds.size !== conceptLines.length) throw new IndexFormatError('a concept has no id');
  conceptIds.seal();
  const { terms, bags, vocabulary, maxWordsByFirst, termPrefixes, bagWords, bagPairs } = parseKeyed(keyed.join('\n'));
  return {
    header,
    conceptLines,
    conceptIds,
    conceptGroups: Uint8Array.from(groups),
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
 * Second pass: the term (`T`) and bag (`B`) records, every key and postings a range of `text`.
 * @param text - the records, one per line.
 * @returns the tables built from them.
 */
function parseKeyed(
  text: string
): Pick<IndexData, 'terms' | 'bags' | 'vocabulary' | 'maxWordsByFirst' | 'termPrefixes' | 'bagWords' | 'bagPairs'> {
  const terms = new SpanTable(text);
  const bags = new SpanTable(text);
  const termPrefixes = new SpanTable(text);
  const vocabulary = new Set<string>();
  const maxWordsByFirst = new Map<string, number>();
  const bagWords = new Map<string, number>();
  forEachLine(text, 0, (from, to) => {
    const keyStart = from + 2;
    const tab = text.indexOf('\t', keyStart);
    if (tab < 0 || tab > to) throw new IndexFormatError('a term record has no postings');
    const table = text.charCodeAt(from) === T_RECORD ? terms : bags;
    const size = table.size;
    if (table.add(keyStart, tab, tab + 1, to) !== size) throw new IndexFormatError('a term key is given twice');
    if (table === bags) {
      for (const w of text.slice(keyStart, tab).split(' ')) if (!bagWords.has(w)) bagWords.set(w, bagWords.size);
      return;
    }
    // The key's words: the vocabulary, its proper word-prefixes, the longest key per first word.
    let wordStart = keyStart;
    let words = 0;
    for (let k = keyStart; k <= tab; k++) {
      if (k === tab || text.charCodeAt(k) === SPACE) {
        vocabulary.add(text.slice(wordStart, k));
        if (k < tab) termPrefixes.add(keyStart, k);
        wordStart = k + 1;
        words++;
      }
    }
    const space = text.indexOf(' ', keyStart);
    const first = text.slice(keyStart, space < 0 || space > tab ? tab : space);
    if ((maxWordsByFirst.get(first) ?? 0) < words) maxWordsByFirst.set(first, words);
  });
  const bagPairs = new Set<number>();
  // Numbered once every bag word has its number: a pair's number depends on how many there are.
  for (const key of bags.keys()) {
    const list = key.split(' ');
    for (let a = 0; a < list.length; a++) {
      const x = bagWords.get(list[a]) ?? 0;
      for (let b = a + 1; b < list.length; b++) bagPairs.add(pairNumber(x, bagWords.get(list[b]) ?? 0, bagWords.size));
    }
  }
  terms.seal();
  bags.seal();
  termPrefixes.seal();
  return { terms, bags, vocabulary, maxWordsByFirst, termPrefixes, bagWords, bagPairs };
}

/**
 * Reads the postings of a stored field.
 * @param field - the stored postings, or undefined.
 * @returns the postings (empty when none).
 */
export function postingsOf(field: string | undefined): Posting[] {
  return field === undefined ? [] : parsePostings(field);
}
