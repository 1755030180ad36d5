/**
 * The ConText trigger lexicon: parsing and compiling `models/lexicons/context-triggers.tsv`. Pure.
 */
import { addPhrase, createTrie, type TrieNode } from '../phrase-trie.js';
import { phraseNorms } from '../tokenize.js';

/** The ConText categories a trigger can set. */
export type ContextCategory = 'negated' | 'possible' | 'historical' | 'hypothetical' | 'family';

/** How a trigger acts: on what follows, what precedes, both; or it blocks (pseudo) or ends scopes (terminate). */
export type TriggerDirection = 'forward' | 'backward' | 'bidirectional' | 'pseudo' | 'terminate';

/** One compiled rule: a row of the lexicon for one category. */
export interface ContextRule {
  readonly category: ContextCategory;
  readonly direction: TriggerDirection;
  /** For `family` triggers: the HL7 v3 RoleCode of the person named (`MTH`, `FRND`, ...). */
  readonly relative?: string;
  /** `family` triggers naming someone outside the family (roommate, friend). */
  readonly nonFamily?: boolean;
  /** Longest scope in tokens, overriding the category default. */
  readonly maxScope?: number;
}

/** The compiled lexicon. */
export interface ContextLexicon {
  readonly trie: TrieNode<ContextRule>;
  readonly size: number;
}

export const CONTEXT_CATEGORIES: readonly ContextCategory[] = ['negated', 'possible', 'historical', 'hypothetical', 'family'];
const DIRECTIONS: ReadonlySet<string> = new Set(['forward', 'backward', 'bidirectional', 'pseudo', 'terminate']);

/** RoleCodes of people who are not family members (experiencer `other`). */
const NON_FAMILY_ROLES: ReadonlySet<string> = new Set(['FRND', 'ROOM', 'NBOR', 'ONESELF']);

/**
 * Parses the trigger lexicon (TSV: literal, categories, direction, option, source; `#` comments). The option is a
 * RoleCode for family triggers or `max=N` for a scope limit in tokens.
 * @param tsv - the file content.
 * @returns the compiled lexicon; throws on a malformed row, naming its line number.
 */
export function parseContextLexicon(tsv: string): ContextLexicon {
  const trie = createTrie<ContextRule>();
  let size = 0;
  tsv.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [literal, categories, direction, option = ''] = line.split('\t');
    const cats = (categories ?? '').split(',').filter((c) => c !== '');
    if (!literal || cats.length === 0 || !DIRECTIONS.has(direction) || cats.some((c) => !isCategory(c))) {
      throw new Error(`context-triggers.tsv line ${i + 1}: expected literal, categories, direction`);
    }
    const norms = phraseNorms(literal);
    const max = /^max=(\d+)$/.exec(option);
    for (const category of cats as ContextCategory[]) {
      const rule: ContextRule = {
        category,
        direction: direction as TriggerDirection,
        ...(category === 'family' && option && !max ? { relative: option, nonFamily: NON_FAMILY_ROLES.has(option) } : {}),
        ...(max ? { maxScope: Number(max[1]) } : {}),
      };
      addPhrase(trie, norms, rule);
      size++;
    }
  });
  return { trie, size };
}

function isCategory(c: string): c is ContextCategory {
  return (CONTEXT_CATEGORIES as readonly string[]).includes(c);
}
