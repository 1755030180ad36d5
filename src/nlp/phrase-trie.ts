/**
 * A trie over token norms: the matcher behind ConText triggers, section headers and abbreviations. Matching walks
 * tokens, not characters, so the cost per sentence is (tokens × longest phrase) whatever the lexicon size.
 */
import type { Token } from './types.js';

/** One node: children by token norm, and the values of phrases that end here. */
export interface TrieNode<V> {
  readonly next: Map<string, TrieNode<V>>;
  readonly values: V[];
}

/** A phrase that matched: the values stored for it and the token range `[startToken, endToken)`. */
export interface TrieMatch<V> {
  readonly values: readonly V[];
  readonly startToken: number;
  readonly endToken: number;
}

/**
 * Creates an empty trie.
 * @returns the root node.
 */
export function createTrie<V>(): TrieNode<V> {
  return { next: new Map(), values: [] };
}

/**
 * Adds a phrase (as token norms) to a trie. Phrases with no tokens are ignored.
 * @param root - the trie.
 * @param norms - the phrase's token norms.
 * @param value - the value stored for the phrase.
 */
export function addPhrase<V>(root: TrieNode<V>, norms: readonly string[], value: V): void {
  if (norms.length === 0) return;
  let node = root;
  for (const norm of norms) {
    let child = node.next.get(norm);
    if (!child) {
      child = { next: new Map(), values: [] };
      node.next.set(norm, child);
    }
    node = child;
  }
  node.values.push(value);
}

/**
 * Every phrase that starts at token `start`, shortest first.
 * @param root - the trie.
 * @param tokens - the tokens.
 * @param start - index of the first token.
 * @param end - index after the last token the phrase may use.
 * @returns the matches starting at `start`.
 */
export function matchesAt<V>(root: TrieNode<V>, tokens: readonly Token[], start: number, end: number): TrieMatch<V>[] {
  const found: TrieMatch<V>[] = [];
  let node: TrieNode<V> | undefined = root;
  for (let i = start; i < end && node; i++) {
    node = node.next.get(tokens[i].norm);
    if (node && node.values.length > 0) found.push({ values: node.values, startToken: start, endToken: i + 1 });
  }
  return found;
}

/**
 * The longest phrase that starts at token `start`.
 * @param root - the trie.
 * @param tokens - the tokens.
 * @param start - index of the first token.
 * @param end - index after the last token the phrase may use.
 * @returns the match, or `undefined`.
 */
export function longestAt<V>(
  root: TrieNode<V>,
  tokens: readonly Token[],
  start: number,
  end: number
): TrieMatch<V> | undefined {
  let best: TrieMatch<V> | undefined;
  let node: TrieNode<V> | undefined = root;
  for (let i = start; i < end && node; i++) {
    node = node.next.get(tokens[i].norm);
    if (node && node.values.length > 0) best = { values: node.values, startToken: start, endToken: i + 1 };
  }
  return best;
}

/**
 * Leftmost-longest, non-overlapping matches in `tokens[start, end)`.
 * @param root - the trie.
 * @param tokens - the tokens.
 * @param start - first token index.
 * @param end - index after the last token.
 * @returns the matches in token order.
 */
export function scanLongest<V>(root: TrieNode<V>, tokens: readonly Token[], start: number, end: number): TrieMatch<V>[] {
  const found: TrieMatch<V>[] = [];
  let i = start;
  while (i < end) {
    const m = root.next.has(tokens[i].norm) ? longestAt(root, tokens, i, end) : undefined;
    if (m) {
      found.push(m);
      i = m.endToken;
    } else {
      i++;
    }
  }
  return found;
}
