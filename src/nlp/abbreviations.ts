/**
 * Clinical abbreviations: finds them on token boundaries, picks a sense by context for the ambiguous ones (`MS`,
 * `PE`, `RA`, `CP`, ...) and codes the chosen expansion with `TerminologyIndex.lookupTerm`, keeping the offsets of
 * the abbreviation as written. Pure apart from the index look-up.
 */
import type { SemanticGroup, TerminologyIndex, Concept } from '../terminology/types.js';
import { addPhrase, createTrie, longestAt, type TrieNode } from './phrase-trie.js';
import { phraseNorms } from './tokenize.js';
import type { SectionKind, Span, Token } from './types.js';

/** One sense of an abbreviation. */
export interface AbbreviationSense {
  readonly abbreviation: string;
  readonly caseSensitive: boolean;
  /** The phrase looked up in the terminology; `undefined` for a sense that is not a codable concept. */
  readonly expansion: string | undefined;
  readonly groups: readonly SemanticGroup[];
  readonly isDefault: boolean;
  /** Cue phrases as token norms. */
  readonly cues: readonly (readonly string[])[];
  readonly sectionCues: readonly SectionKind[];
}

/** The compiled abbreviation table: senses by abbreviation token sequence. */
export interface AbbreviationTable {
  readonly trie: TrieNode<AbbreviationSense>;
}

/** An abbreviation occurrence with its chosen sense. */
export interface AbbreviationHit {
  readonly span: Span;
  /** All senses of this abbreviation (more than one: it is ambiguous). */
  readonly senseCount: number;
  /** The chosen sense, or `undefined` when context chose none. */
  readonly sense: AbbreviationSense | undefined;
}

/** How far cue words may stand from the abbreviation, in tokens (same sentence only). */
const CUE_WINDOW_TOKENS = 12;

const GROUPS: ReadonlySet<string> = new Set(['disorder', 'finding', 'medication', 'clinical-drug', 'observable', 'procedure', 'allergen']);

/**
 * Parses `abbreviations.tsv`.
 * @param tsv - the file content.
 * @returns the compiled table; throws on a malformed row, naming its line number.
 */
export function parseAbbreviations(tsv: string): AbbreviationTable {
  const trie = createTrie<AbbreviationSense>();
  tsv.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [abbreviation, match, expansion, groups, cues] = line.split('\t');
    const groupList = (groups ?? '').split(',').filter((g) => g !== '' && g !== '-');
    if (!abbreviation || (match !== 'cs' && match !== 'ci') || !expansion || !cues || groupList.some((g) => !GROUPS.has(g))) {
      throw new Error(`abbreviations.tsv line ${i + 1}: expected abbreviation, cs|ci, expansion, groups, cues`);
    }
    const cueList = cues.split(',').map((c) => c.trim()).filter((c) => c !== '');
    addPhrase(trie, phraseNorms(abbreviation), {
      abbreviation,
      caseSensitive: match === 'cs',
      expansion: expansion === '-' ? undefined : expansion,
      groups: groupList as SemanticGroup[],
      isDefault: cueList.includes('*'),
      cues: cueList.filter((c) => c !== '*' && !c.startsWith('section=')).map(phraseNorms),
      sectionCues: cueList.filter((c) => c.startsWith('section=')).map((c) => c.slice('section='.length) as SectionKind),
    });
  });
  return { trie };
}

/**
 * Finds abbreviations in one sentence and chooses a sense for each.
 * @param text - the note text.
 * @param tokens - the note's tokens.
 * @param start - first token of the sentence.
 * @param end - index after the sentence's last token.
 * @param section - the sentence's section kind.
 * @param table - the compiled table.
 * @returns the hits in text order.
 */
export function findAbbreviations(
  text: string,
  tokens: readonly Token[],
  start: number,
  end: number,
  section: SectionKind | undefined,
  table: AbbreviationTable
): AbbreviationHit[] {
  const hits: AbbreviationHit[] = [];
  for (let i = start; i < end; i++) {
    if (!table.trie.next.has(tokens[i].norm)) continue;
    const m = longestAt(table.trie, tokens, i, end);
    if (!m) continue;
    const span = { start: tokens[i].start, end: tokens[m.endToken - 1].end };
    const written = text.slice(span.start, span.end);
    const senses = m.values.filter((s) =>
      s.caseSensitive ? s.abbreviation === written : s.abbreviation.toLowerCase() === written.toLowerCase()
    );
    if (senses.length === 0) continue;
    hits.push({ span, senseCount: senses.length, sense: chooseSense(senses, tokens, i, m.endToken, start, end, section) });
    i = m.endToken - 1;
  }
  return hits;
}

function chooseSense(
  senses: readonly AbbreviationSense[],
  tokens: readonly Token[],
  first: number,
  after: number,
  start: number,
  end: number,
  section: SectionKind | undefined
): AbbreviationSense | undefined {
  if (senses.length === 1 && senses[0].isDefault) return senses[0];
  const lo = Math.max(start, first - CUE_WINDOW_TOKENS);
  const hi = Math.min(end, after + CUE_WINDOW_TOKENS);
  let best: AbbreviationSense | undefined;
  let bestScore = 0;
  for (const sense of senses) {
    let score = section && sense.sectionCues.includes(section) ? 1 : 0;
    for (const cue of sense.cues) if (containsPhrase(tokens, lo, hi, first, after, cue)) score++;
    if (score > bestScore) {
      best = sense;
      bestScore = score;
    }
  }
  return best ?? senses.find((s) => s.isDefault);
}

function containsPhrase(
  tokens: readonly Token[],
  lo: number,
  hi: number,
  skipFrom: number,
  skipTo: number,
  cue: readonly string[]
): boolean {
  for (let i = lo; i + cue.length <= hi; i++) {
    if (i >= skipFrom && i < skipTo) continue;
    let ok = true;
    for (let k = 0; k < cue.length; k++) {
      if (tokens[i + k].norm !== cue[k]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/**
 * Codes a chosen sense.
 * @param sense - the sense.
 * @param terminology - the index.
 * @returns the concept, or `undefined` when the sense is not codable or the index lacks it.
 */
export function codeSense(sense: AbbreviationSense, terminology: TerminologyIndex): Concept | undefined {
  if (!sense.expansion) return undefined;
  return terminology.lookupTerm(sense.expansion, sense.groups.length > 0 ? sense.groups : undefined);
}
