/**
 * From per-word label probabilities to entity spans: the model's labels are folded onto our BIO scheme with a
 * label map, then a Viterbi pass picks the best label sequence that is valid BIO (no I- without a B- or I- of the
 * same type before it).
 */
import type { Span } from '../types.js';
import type { NerLabel, NerLabelMap, NerSpan } from './types.js';
import { NER_LABELS } from './types.js';

/** Our BIO tags: O, then B-/I- for each NER label. */
export const BIO_TAGS: readonly string[] = ['O', ...NER_LABELS.flatMap((l) => [`B-${l}`, `I-${l}`])];
const N_TAGS = BIO_TAGS.length;

/**
 * For each of the model's labels, the index of our BIO tag it becomes (labels of unmapped types become O).
 * @param modelLabels - the model's `id2label` in id order, e.g. `B-Disease`, `I-Chemical`, `O`. Prefixes `B-`/`I-`
 *   (or `_`); BIOES/BILOU prefixes fold to B (`S`, `U`) or I (`E`, `L`); a bare type name counts as `B-`.
 * @param labelMap - model type name → our label, or null to drop; case-insensitive.
 * @returns our tag index per model label.
 */
export function toTagIndex(modelLabels: readonly string[], labelMap: NerLabelMap): number[] {
  const map = new Map(Object.entries(labelMap).map(([k, v]) => [k.toUpperCase(), v]));
  return modelLabels.map((raw) => {
    const m = /^([BIESLU])[-_](.+)$/i.exec(raw);
    const prefix = m ? m[1].toUpperCase() : raw.toUpperCase() === 'O' ? 'O' : 'B';
    const type = m ? m[2] : raw;
    if (prefix === 'O') return 0;
    const ours = map.get(type.toUpperCase());
    if (!ours) return 0;
    const begin = prefix === 'B' || prefix === 'S' || prefix === 'U';
    return BIO_TAGS.indexOf(`${begin ? 'B' : 'I'}-${ours}`);
  });
}

/**
 * Log-probabilities over our BIO tags from one position's logits (softmax over the model's labels, summed per tag).
 * @param logits - the model's logits at one sub-token.
 * @param offset - where they start in `logits`.
 * @param nLabels - how many model labels.
 * @param tagIndex - from `toTagIndex`.
 * @returns log-probabilities, length 7.
 */
export function toTagLogProbs(logits: Float32Array, offset: number, nLabels: number, tagIndex: readonly number[]): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < nLabels; j++) max = Math.max(max, logits[offset + j]);
  const probs = new Float64Array(N_TAGS);
  let sum = 0;
  for (let j = 0; j < nLabels; j++) {
    const e = Math.exp(logits[offset + j] - max);
    probs[tagIndex[j]] += e;
    sum += e;
  }
  for (let t = 0; t < N_TAGS; t++) probs[t] = Math.log(probs[t] / sum);
  return probs;
}

function allowed(from: number, to: number): boolean {
  const t = BIO_TAGS[to];
  if (!t.startsWith('I-')) return true;
  const f = BIO_TAGS[from];
  return f !== 'O' && f.slice(2) === t.slice(2);
}

/**
 * The best BIO-valid tag sequence.
 * @param logProbs - per word, log-probabilities over `BIO_TAGS`.
 * @returns tag indices per word.
 */
export function viterbi(logProbs: readonly Float64Array[]): number[] {
  const n = logProbs.length;
  if (n === 0) return [];
  let score = Array.from(logProbs[0], (lp, j) => (BIO_TAGS[j].startsWith('I-') ? -1e9 : lp));
  const back: Int8Array[] = [];
  for (let w = 1; w < n; w++) {
    const next = new Array<number>(N_TAGS);
    const ptr = new Int8Array(N_TAGS);
    for (let j = 0; j < N_TAGS; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < N_TAGS; i++) {
        if (allowed(i, j) && score[i] > best) {
          best = score[i];
          arg = i;
        }
      }
      next[j] = best + logProbs[w][j];
      ptr[j] = arg;
    }
    score = next;
    back.push(ptr);
  }
  let j = 0;
  for (let k = 1; k < N_TAGS; k++) if (score[k] > score[j]) j = k;
  const path = [j];
  for (let w = back.length - 1; w >= 0; w--) {
    j = back[w][j];
    path.push(j);
  }
  return path.reverse();
}

/** A word with no letter or digit: punctuation, brackets, symbols. */
const PUNCTUATION_ONLY = /^[^\p{L}\p{N}]+$/u;
const CLOSING_OF: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

/**
 * Merges tagged words into spans. The score is the mean probability of the words' chosen tags. With `text`, a span
 * never starts or ends on a punctuation-only word ("anxiety (" → "anxiety"), except a closing bracket whose opening
 * bracket is inside the span ("diabetes (type 2)").
 * @param words - word spans.
 * @param tags - tag index per word (valid BIO, e.g. from `viterbi`).
 * @param logProbs - the per-word log-probabilities the tags came from.
 * @param text - the text the words are in (enables the trimming).
 * @returns entity spans in order.
 */
export function tagsToSpans(words: readonly Span[], tags: readonly number[], logProbs: readonly Float64Array[], text?: string): NerSpan[] {
  const out: NerSpan[] = [];
  let cur: { first: number; last: number; label: NerLabel } | undefined;
  const wordText = (w: number): string => (text === undefined ? 'x' : text.slice(words[w].start, words[w].end));
  const flush = (): void => {
    if (!cur) return;
    let { first, last } = cur;
    while (first <= last && PUNCTUATION_ONLY.test(wordText(first))) first++;
    while (last >= first && PUNCTUATION_ONLY.test(wordText(last))) {
      const opening = CLOSING_OF[wordText(last)];
      if (opening !== undefined && text !== undefined && text.slice(words[first].start, words[last].start).includes(opening)) break;
      last--;
    }
    if (first <= last) {
      let sum = 0;
      for (let w = first; w <= last; w++) sum += Math.exp(logProbs[w][tags[w]]);
      out.push({ start: words[first].start, end: words[last].end, label: cur.label, score: sum / (last - first + 1) });
    }
    cur = undefined;
  };
  for (let w = 0; w < words.length; w++) {
    const tag = BIO_TAGS[tags[w]];
    if (tag === 'O') {
      flush();
      continue;
    }
    const label = tag.slice(2) as NerLabel;
    if (tag.startsWith('B-') || !cur || cur.label !== label) {
      flush();
      cur = { first: w, last: w, label };
    } else {
      cur.last = w;
    }
  }
  flush();
  return out;
}
