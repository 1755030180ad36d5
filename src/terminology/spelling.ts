/**
 * Misspelling tolerance: a bounded Damerau (optimal string alignment) edit distance against the index vocabulary.
 * Length guards keep short words exact: a word of fewer than {@link MIN_FUZZY_CHARS} letters is never corrected,
 * two edits need {@link MIN_TWO_EDIT_CHARS} letters, the first letter must agree, and a tie between two
 * corrections is no correction. Pure.
 */

/** Shorter words are never spelling-corrected (abbreviations, short drug names, "pain" vs "pair"). */
export const MIN_FUZZY_CHARS = 6;
/** Words at least this long may be two edits away. */
export const MIN_TWO_EDIT_CHARS = 12;

/** Finds the single closest vocabulary word of a misspelt word. */
export class SpellingCorrector {
  private readonly buckets = new Map<string, string[]>();
  private readonly cache = new Map<string, string | null>();

  /**
   * @param vocabulary - the words terms are made of.
   * @param knownWords - real words that are never corrected even when not in the vocabulary.
   */
  constructor(
    private readonly vocabulary: ReadonlySet<string>,
    private readonly knownWords: ReadonlySet<string>
  ) {}

  /**
   * The correction of a normalised word, if there is exactly one close vocabulary word.
   * @param word - a normalised word that is not in the vocabulary.
   * @returns the vocabulary word, or undefined.
   */
  correct(word: string): string | undefined {
    if (word.length < MIN_FUZZY_CHARS || !/^[a-z]+$/.test(word) || this.knownWords.has(word)) return undefined;
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached ?? undefined;
    const result = this.search(word);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(word, result ?? null);
    return result;
  }

  private search(word: string): string | undefined {
    const maxEdits = word.length >= MIN_TWO_EDIT_CHARS ? 2 : 1;
    let best: string | undefined;
    let bestDistance = maxEdits + 1;
    let tie = false;
    for (const candidate of this.bucket(word[0])) {
      if (Math.abs(candidate.length - word.length) > maxEdits) continue;
      const d = boundedDistance(word, candidate, maxEdits);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
        tie = false;
      } else if (d === bestDistance && d <= maxEdits) {
        tie = true;
      }
    }
    return best !== undefined && !tie && bestDistance <= maxEdits ? best : undefined;
  }

  private bucket(first: string): readonly string[] {
    let list = this.buckets.get(first);
    if (!list) {
      list = [];
      for (const w of this.vocabulary) {
        if (w[0] === first && w.length >= MIN_FUZZY_CHARS - 1 && /^[a-z]+$/.test(w)) list.push(w);
      }
      this.buckets.set(first, list);
    }
    return list;
  }
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions), abandoned past `max`.
 * @param a - first word.
 * @param b - second word.
 * @param max - the largest distance of interest.
 * @returns the distance, or `max + 1` when it is larger than `max`.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] <= max ? prev[m] : max + 1;
}
