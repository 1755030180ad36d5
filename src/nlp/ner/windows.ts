/**
 * Windows over a sentence that has more sub-tokens than the model takes. Windows overlap by about a quarter of
 * their length; each word takes its labels from the window where it sits furthest from an edge (the overlap is
 * split in the middle). The same rule as the recipe (`models/ner/nerdata.py: windows`).
 */

/** A window over words `[from, to)` that is authoritative for words `[keepFrom, keepTo)`. */
export interface WordWindow {
  readonly from: number;
  readonly to: number;
  readonly keepFrom: number;
  readonly keepTo: number;
}

/**
 * Plans windows so that each holds at most `maxBody` sub-tokens.
 * @param tokenCounts - sub-tokens per word (a word longer than `maxBody` gets a window alone and is truncated).
 * @param maxBody - sub-tokens per window, excluding [CLS] and [SEP].
 * @returns windows covering every word; one window when the sentence fits.
 */
export function planWindows(tokenCounts: readonly number[], maxBody: number): WordWindow[] {
  const n = tokenCounts.length;
  const total = tokenCounts.reduce((a, b) => a + b, 0);
  if (total <= maxBody) return [{ from: 0, to: n, keepFrom: 0, keepTo: n }];
  const overlap = Math.floor(maxBody / 4);
  const spans: Array<[number, number]> = [];
  let w0 = 0;
  for (;;) {
    let used = 0;
    let w1 = w0;
    while (w1 < n && used + tokenCounts[w1] <= maxBody) {
      used += tokenCounts[w1];
      w1++;
    }
    if (w1 === w0) w1 = w0 + 1;
    spans.push([w0, w1]);
    if (w1 >= n) break;
    let back = 0;
    let k = w1;
    while (k > w0 + 1 && back + tokenCounts[k - 1] <= overlap) {
      back += tokenCounts[k - 1];
      k--;
    }
    w0 = k;
  }
  return spans.map(([from, to], i) => ({
    from,
    to,
    keepFrom: i === 0 ? from : Math.floor((spans[i - 1][1] + from + 1) / 2),
    keepTo: i === spans.length - 1 ? to : Math.floor((to + spans[i + 1][0] + 1) / 2),
  }));
}
