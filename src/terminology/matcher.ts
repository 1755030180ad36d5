/**
 * Dictionary matching over normalised tokens: every window of words inside a sentence is looked up as an exact key,
 * then (2–5 words, no comma inside) as a word-order-free key; at most one misspelt word per window is replaced by
 * its correction. Candidates are resolved longest-first without overlap, then filtered by context (semantic group
 * cues, per-term context rules) and refined (laterality, qualifiers). Pure.
 */
import type { ContextRuleRecord, Posting } from './index-format.js';
import { POSTING_FLAGS, SEMANTIC_GROUPS } from './index-format.js';
import type { IndexData } from './index-data.js';
import { hasBagPair, postingsOf } from './index-data.js';
import type { TextToken } from './normalize.js';
import { bagKey, normalizeWord, tokenize } from './normalize.js';
import type { SpellingCorrector } from './spelling.js';
import type { MatchKind, SemanticGroup } from './types.js';

/** Word-order-free look-ups are tried for windows of at most this many words. */
export const MAX_BAG_WORDS = 5;
/** Scores by match kind. */
export const MATCH_SCORES: Readonly<Record<MatchKind, number>> = {
  exact: 1,
  abbreviation: 0.9,
  'word-order': 0.85,
  'word-form': 0.85,
  spelling: 0.8,
};
/** A spelling-corrected key must be at least this long, so short terms never fuzzy-match. */
export const MIN_FUZZY_KEY_CHARS = 8;

/** A resolved match before concepts are materialised. */
export interface RawMatch {
  readonly start: number;
  readonly end: number;
  readonly concept: number;
  readonly score: number;
  readonly kind: MatchKind;
}

interface Candidate {
  readonly first: number;
  readonly last: number;
  readonly key: string;
  readonly postings: readonly Posting[];
  readonly kind: MatchKind;
  readonly corrected: boolean;
}

/** What the matcher needs besides the data. */
export interface MatcherDeps {
  readonly data: IndexData;
  readonly speller: SpellingCorrector;
  /** The group of a concept index. */
  groupOf(concept: number): SemanticGroup;
}

/**
 * Finds all non-overlapping longest matches in a text.
 * @param deps - index data, speller and group look-up.
 * @param text - the text.
 * @returns matches sorted by start.
 */
export function findMatches(deps: MatcherDeps, text: string): RawMatch[] {
  const tokens = withSidesSpelledOut(text, withShorthandSpelledOut(deps, text, tokenize(text)));
  const words = tokens.map((t) => wordFor(deps, t));
  const candidates: Candidate[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].stop) continue;
    if (words[i] !== undefined) collectFrom(deps, tokens, words, i, candidates);
    // "tachycardic", "hypothyroid": a lone adjective read as the finding's noun
    const noun = standsAlone(deps, tokens, i) ? findingNounOf(deps, text.slice(tokens[i].start, tokens[i].end).toLowerCase()) : undefined;
    const term = noun === undefined ? undefined : deps.data.terms.get(noun);
    if (noun !== undefined && term !== undefined) {
      candidates.push({ first: i, last: i, key: noun, postings: postingsOf(term), kind: 'word-form', corrected: false });
    }
  }
  const chosen: RawMatch[] = [];
  const spans: Array<[number, number]> = [];
  const taken = new Uint8Array(tokens.length);
  candidates.sort(
    (a, b) =>
      tokens[b.last].end - tokens[b.first].start - (tokens[a.last].end - tokens[a.first].start) ||
      MATCH_SCORES[a.kind] - MATCH_SCORES[b.kind] ||
      a.first - b.first
  );
  for (const c of candidates) {
    if (overlaps(taken, c.first, c.last)) continue;
    const posting = choosePosting(deps, tokens, c);
    if (!posting) continue;
    for (let k = c.first; k <= c.last; k++) taken[k] = 1;
    const kind: MatchKind = c.kind === 'exact' && posting.flags & POSTING_FLAGS.abbreviation ? 'abbreviation' : c.kind;
    const concept = refine(deps.data, tokens, c, posting.concept);
    chosen.push({ start: tokens[c.first].start, end: tokens[c.last].end, concept, score: MATCH_SCORES[kind], kind });
    spans.push([c.first, c.last]);
  }
  const { added, replaced } = coordinatedMatches(deps, text, tokens, words, spans, taken);
  return [...chosen.filter((m) => !replaced.has(m.start)), ...added].sort((a, b) => a.start - b.start);
}

/** Words that join two conjuncts. */
const COORDINATORS: ReadonlySet<string> = new Set(['and', 'or']);

/**
 * Findings a coordination shares out: "urinary frequency/urgency" and "joint pain or swelling" also name "urinary
 * urgency" and "joint swelling" (the modifier is shared); "tobacco and alcohol use" and "alcohol or drug abuse" also
 * name "tobacco use" and "alcohol abuse" (the head is shared). The new match covers the one word that differs, and
 * only when the term it completes is a disorder or finding and that word is not already part of a longer match.
 * @param deps - the index.
 * @param text - the text.
 * @param tokens - its tokens.
 * @param words - the word each token contributes to keys.
 * @param spans - the chosen matches' first and last tokens.
 * @param taken - the tokens inside chosen matches (updated).
 * @returns the added matches, and the starts of one-word matches they replace.
 */
function coordinatedMatches(
  deps: MatcherDeps,
  text: string,
  tokens: readonly TextToken[],
  words: readonly ({ readonly word: string } | undefined)[],
  spans: ReadonlyArray<readonly [number, number]>,
  taken: Uint8Array
): { readonly added: RawMatch[]; readonly replaced: ReadonlySet<number> } {
  const out: RawMatch[] = [];
  const replaced = new Set<number>();
  const singleAt = new Set(spans.filter(([f, l]) => f === l).map(([f]) => f));
  const wordOf = (k: number): string | undefined => (tokens[k] && !tokens[k].stop ? words[k]?.word : undefined);
  const slashBetween = (a: number, b: number): boolean => /^\s*\/\s*$/.test(text.slice(tokens[a].end, tokens[b].start));
  const findingOf = (key: string): number | undefined => findingConceptOf(deps, deps.data.terms.get(key) ?? deps.data.bags.get(bagKey(key)));
  const add = (k: number, concept: number): void => {
    taken[k] = 1;
    out.push({ start: tokens[k].start, end: tokens[k].end, concept, score: MATCH_SCORES['word-order'], kind: 'word-order' });
  };
  for (const [f, l] of spans) {
    if (l <= f) continue;
    const termWords = [];
    for (let k = f; k <= l; k++) if (!tokens[k].stop) termWords.push(wordOf(k));
    if (termWords.some((w) => w === undefined)) continue;
    // shared modifier: "A B/C", "A B or C" → "A C"
    const next = l + 1 < tokens.length ? l + 1 : -1;
    const joiner = next < 0 ? -1 : !tokens[next].breakBefore && COORDINATORS.has(tokens[next].norm) ? next + 1 : slashBetween(l, next) ? next : -1;
    const after = joiner > 0 && joiner < tokens.length && !tokens[joiner].breakBefore ? wordOf(joiner) : undefined;
    if (after !== undefined && (!taken[joiner] || singleAt.has(joiner))) {
      const concept = findingOf([...termWords.slice(0, -1), after].join(' '));
      if (concept !== undefined) {
        if (taken[joiner]) replaced.add(tokens[joiner].start); // "swelling" alone: the joint's swelling
        add(joiner, concept);
      }
    }
    // shared head: "A and B C", "A/B C" → "A C"
    const before = f >= 2 && !tokens[f].breakBefore && COORDINATORS.has(tokens[f - 1].norm) && !tokens[f - 1].breakBefore ? f - 2 : f >= 1 && slashBetween(f - 1, f) ? f - 1 : -1;
    const first = before >= 0 ? wordOf(before) : undefined;
    if (first !== undefined && (!taken[before] || singleAt.has(before))) {
      const concept = findingOf([first, ...termWords.slice(1)].join(' '));
      if (concept === undefined) continue;
      if (taken[before]) replaced.add(tokens[before].start); // "tobacco" alone was read as the substance
      add(before, concept);
    }
  }
  return { added: out, replaced };
}

/**
 * How notes abbreviate a side: "rt hip", "Lt knee", "bilat LE edema", "both knees" (never upper-case "RT", radiation
 * therapy).
 */
const SIDE_ABBREVIATIONS: ReadonlyMap<string, string> = new Map([
  ['rt', 'right'],
  ['lt', 'left'],
  ['bilat', 'bilateral'],
  ['both', 'bilateral'],
]);

/** A capital R or L then one space and a lower-case word is a side: "R knee pain", "L hip fracture". */
const SIDE_LETTERS: ReadonlyMap<string, string> = new Map([
  ['r', 'right'],
  ['l', 'left'],
]);

/**
 * Reads abbreviated sides as the words terms use, so "R knee pain" is looked up as "right knee pain" (and its
 * laterality refinements apply). "R/O", "L NC", "RT", "2 L" keep their own reading.
 * @param text - the text the tokens come from.
 * @param tokens - its tokens.
 * @returns the tokens, with the norm of side abbreviations replaced.
 */
function withSidesSpelledOut(text: string, tokens: readonly TextToken[]): TextToken[] {
  return tokens.map((t, k) => {
    let side = t.upper ? undefined : SIDE_ABBREVIATIONS.get(t.norm);
    if (!side && t.upper && t.end - t.start === 1) {
      const next = tokens[k + 1];
      const nextChar = next && next.start === t.end + 1 && text[t.end] === ' ' ? text[next.start] : '';
      if (nextChar >= 'a' && nextChar <= 'z' && (k === 0 || !/\d\s*$/.test(text.slice(tokens[k - 1].start, t.start)))) {
        side = SIDE_LETTERS.get(t.norm);
      }
    }
    return side ? { ...t, norm: side } : t;
  });
}

/**
 * How notes state a finding with an adjective or participle where the terminology names it with a noun:
 * "tachycardic", "hypoxic" (-ia), "dyspneic" (-a), "lethargic" (-y), "cyanotic", "cirrhotic" (-sis), "edematous",
 * "nauseous" (-a), "constipated" (-ation), "disoriented" (-ation), "hypothyroid" (-ism), "pregnant" (-cy), "somnolent" (-ce).
 */
const FINDING_NOUN_RULES: ReadonlyArray<readonly [suffix: string, replacements: readonly string[]]> = [
  ['tic', ['sis']],
  ['ic', ['ia', 'a', 'y']],
  ['ous', ['a']],
  ['ated', ['ation']],
  ['ented', ['entation']],
  ['oid', ['oidism']],
  ['ant', ['ancy']],
  ['ent', ['ence']],
];

/** Adjectives whose noun no suffix rule gives ("not a diabetic", "febrile to 39", "icteric"). */
const IRREGULAR_FINDING_NOUNS: ReadonlyMap<string, string> = new Map([
  ['diabetic', 'diabetes'],
  ['febrile', 'fever'],
  ['icteric', 'jaundice'],
  ['jaundiced', 'jaundice'],
  ['cachectic', 'cachexia'],
]);

/** Adjectives shorter than this are left alone (no rule for "ill", "sick", "tic"). */
const MIN_FINDING_ADJECTIVE_CHARS = 6;

/**
 * The noun an adjective that is no term by itself stands for, when that noun alone names a disorder or finding.
 * @param deps - the index.
 * @param word - the word as written, lower-cased.
 * @returns the noun, or undefined.
 */
function findingNounOf(deps: MatcherDeps, word: string): string | undefined {
  if (word.length < MIN_FINDING_ADJECTIVE_CHARS) return undefined;
  const namesFinding = (noun: string): boolean => findingConceptOf(deps, deps.data.terms.get(noun)) !== undefined;
  const irregular = IRREGULAR_FINDING_NOUNS.get(word);
  if (irregular !== undefined) {
    const noun = normalizeWord(irregular);
    return namesFinding(noun) ? noun : undefined;
  }
  for (const [suffix, replacements] of FINDING_NOUN_RULES) {
    if (!word.endsWith(suffix)) continue;
    const stem = word.slice(0, word.length - suffix.length);
    for (const r of replacements) {
      const noun = normalizeWord(stem + r);
      if (namesFinding(noun)) return noun;
    }
  }
  return undefined;
}

/**
 * Whether a token is an adjective said of the patient rather than of a noun after it: not a term by itself, and
 * the last word of its phrase ("tachycardic, regular", "hypoxic to 85%", "lethargic and confused"); "hypoxic
 * respiratory failure", "ischemic CMP" are left to the matcher's longer windows and to the noun they name.
 * @param deps - the index.
 * @param tokens - the text's tokens.
 * @param i - the token.
 * @returns whether to read it as a finding's noun.
 */
function standsAlone(deps: MatcherDeps, tokens: readonly TextToken[], i: number): boolean {
  if (deps.data.terms.has(tokens[i].norm)) return false;
  const next = tokens[i + 1];
  return next === undefined || next.breakBefore || next.softBreakBefore || next.stop || /^\d/.test(next.norm) || PHRASE_FOLLOWERS.has(next.norm);
}

/** Words that start what follows a predicate adjective ("constipated with no BM", "hypoxic on RA", "febrile since"). */
const PHRASE_FOLLOWERS: ReadonlySet<string> = new Set([
  'with', 'to', 'at', 'on', 'in', 'since', 'after', 'while', 'when', 'and', 'or', 'but', 'this', 'today', 'now',
  'overnight', 'again', 'per', 'x', 'for', 'from', 'despite', 'without', 'w',
]);

const FINDING_GROUPS: ReadonlySet<SemanticGroup> = new Set(['disorder', 'finding']);

/**
 * The first disorder or finding among a key's postings.
 * @param deps - the index.
 * @param postings - a term's or bag's postings, if the key has any.
 * @returns its concept index, or undefined.
 */
function findingConceptOf(deps: MatcherDeps, postings: string | undefined): number | undefined {
  return postings === undefined ? undefined : postingsOf(postings).find((p) => FINDING_GROUPS.has(deps.groupOf(p.concept)))?.concept;
}

/**
 * Shorthand inside a term, written out for look-up (the match still covers the note's own words): "LE edema" is
 * "lower extremity edema", "LV thrombus" "left ventricular thrombus", "sinus tach" "sinus tachycardia", "hip fx"
 * "hip fracture", "COPD exac" "COPD exacerbation". `upper`: only when written in capitals ("LE", never "le").
 */
const TERM_SHORTHAND: ReadonlyMap<string, { readonly words: string; readonly upper: boolean }> = new Map(
  (
    [
      ['le', 'lower extremity', true],
      ['les', 'lower extremity', true],
      ['lle', 'left lower extremity', true],
      ['rle', 'right lower extremity', true],
      ['ble', 'bilateral lower extremity', true],
      ['ue', 'upper extremity', true],
      ['lue', 'left upper extremity', true],
      ['rue', 'right upper extremity', true],
      ['lv', 'left ventricular', true],
      ['rv', 'right ventricular', true],
      ['am', 'morning', true],
      ['tach', 'tachycardia', false],
      ['brady', 'bradycardia', false],
      ['pyelo', 'pyelonephritis', false],
      ['fx', 'fracture', false],
      ['exac', 'exacerbation', false],
      ['pulm', 'pulmonary', false],
      ['resp', 'respiratory', false],
      ['uop', 'urine output', true],
      ['hx', 'history', false],
    ] as const
  ).map(([abbreviation, words, upper]) => [abbreviation, { words: words.split(' ').map((w) => normalizeWord(w)).join(' '), upper }])
);

/**
 * Reads "w/o" as "without" and "w/" as "with", and Greek plurals ("angiomata") as their singular, so the words
 * terms use are looked up.
 * @param deps - the index.
 * @param text - the text the tokens come from.
 * @param tokens - its tokens.
 * @returns the tokens, "w/o" as one token.
 */
function withShorthandSpelledOut(deps: MatcherDeps, text: string, tokens: readonly TextToken[]): TextToken[] {
  const out: TextToken[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.norm === 'w' && text[t.end] === '/') {
      const next = tokens[k + 1];
      if (next && next.norm === 'o' && next.start === t.end + 1) {
        out.push({ ...t, end: next.end, norm: 'without' });
        k++;
        continue;
      }
      out.push({ ...t, norm: 'with' });
      continue;
    }
    if (t.norm.endsWith('mata') && !deps.data.vocabulary.has(t.norm)) {
      const singular = normalizeWord(text.slice(t.start, t.end - 2).toLowerCase());
      if (deps.data.vocabulary.has(singular)) {
        out.push({ ...t, norm: singular });
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

/** The word a token contributes to keys: its norm, its spelling correction, or undefined when no key has it. */
function wordFor(deps: MatcherDeps, t: TextToken): { readonly word: string; readonly corrected: boolean } | undefined {
  if (t.stop) return { word: t.norm, corrected: false };
  const shorthand = TERM_SHORTHAND.get(t.norm);
  if (shorthand && (!shorthand.upper || t.upper)) return { word: shorthand.words, corrected: false };
  if (deps.data.vocabulary.has(t.norm)) return { word: t.norm, corrected: false };
  const fixed = deps.speller.correct(t.norm);
  return fixed === undefined ? undefined : { word: fixed, corrected: true };
}

function collectFrom(
  deps: MatcherDeps,
  tokens: readonly TextToken[],
  words: readonly ({ readonly word: string; readonly corrected: boolean } | undefined)[],
  i: number,
  out: Candidate[]
): void {
  const first = words[i];
  if (!first) return;
  const limit = Math.max(deps.data.maxWordsByFirst.get(first.word) ?? 0, MAX_BAG_WORDS);
  const parts: string[] = [];
  // The same window without laterality words: "osteoarthritis of right knee" is "osteoarthritis of knee" plus a
  // side, which the refinement step reads back from the span.
  const plain: string[] = [];
  let corrections = 0;
  let soft = false;
  // Whether every word so far occurs in some word-order-free key: once not, no bag can match this window.
  let bagPossible = true;
  for (let j = i; j < tokens.length && parts.length < limit; j++) {
    const t = tokens[j];
    if (j > i && t.breakBefore) break;
    if (j > i && t.softBreakBefore) soft = true;
    if (t.stop) {
      // "hypertension and diabetes" is two problems, never one word-order-free term.
      if (t.norm === 'and' || t.norm === 'or') soft = true;
      continue;
    }
    const lateral = j > i && LATERALITY.has(t.norm);
    const w = words[j] ?? (lateral ? { word: t.norm, corrected: false } : undefined);
    if (!w) break;
    if (w.corrected) corrections++;
    if (corrections > 1) break;
    parts.push(w.word);
    if (!lateral) plain.push(w.word);
    bagPossible &&=
      parts.length === 1
        ? deps.data.bagWords.has(w.word)
        : parts.indexOf(w.word) < parts.length - 1 || hasBagPair(deps.data, parts[0], w.word);
    const key = parts.join(' ');
    const plainKey = plain.length < parts.length ? plain.join(' ') : key;
    const canGrow =
      deps.data.termPrefixes.has(key) ||
      deps.data.termPrefixes.has(plainKey) ||
      (bagPossible && !soft && parts.length < MAX_BAG_WORDS);
    const corrected = corrections > 0;
    if (!(corrected && key.length < MIN_FUZZY_KEY_CHARS)) {
      collectWindow(deps, { i, j, key, plainKey, lateral, corrected, bag: bagPossible && !soft && parts.length >= 2 && parts.length <= MAX_BAG_WORDS }, out);
    }
    if (!canGrow) break;
  }
}

/** Looks one window up: exact key, the key without laterality words, then word-order-free. */
function collectWindow(
  deps: MatcherDeps,
  w: { readonly i: number; readonly j: number; readonly key: string; readonly plainKey: string; readonly lateral: boolean; readonly corrected: boolean; readonly bag: boolean },
  out: Candidate[]
): void {
  const { i, j, key, corrected } = w;
  const exact = deps.data.terms.get(key);
  if (exact !== undefined) {
    out.push({ first: i, last: j, key, postings: postingsOf(exact), kind: corrected ? 'spelling' : 'exact', corrected });
    return;
  }
  if (w.plainKey !== key && !w.lateral) {
    const withoutSide = deps.data.terms.get(w.plainKey);
    if (withoutSide !== undefined) {
      out.push({ first: i, last: j, key: w.plainKey, postings: postingsOf(withoutSide), kind: corrected ? 'spelling' : 'exact', corrected });
      return;
    }
  }
  if (w.bag) {
    const bag = deps.data.bags.get(bagKey(key));
    if (bag !== undefined) {
      out.push({ first: i, last: j, key, postings: postingsOf(bag), kind: corrected ? 'spelling' : 'word-order', corrected });
    }
  }
}

function overlaps(taken: Uint8Array, first: number, last: number): boolean {
  for (let k = first; k <= last; k++) if (taken[k]) return true;
  return false;
}

/** Tokens (any, including stop words) within `n` tokens before/after a candidate, inside its sentence. */
function neighbours(tokens: readonly TextToken[], c: Candidate, n: number): { before: string[]; after: string[] } {
  const before: string[] = [];
  for (let k = c.first - 1; k >= 0 && before.length < n; k--) {
    before.push(tokens[k].norm);
    if (tokens[k].breakBefore) break;
  }
  const after: string[] = [];
  for (let k = c.last + 1; k < tokens.length && after.length < n && !tokens[k].breakBefore; k++) {
    after.push(tokens[k].norm);
  }
  return { before, after };
}

/** A set of cue words in normalised form (cues are compared with token norms). */
const cueSet = (words: readonly string[]): ReadonlySet<string> => new Set(words.map((w) => normalizeWord(w)));
const DOSE_UNITS = cueSet(['mg', 'mcg', 'g', 'gram', 'ml', 'units', 'meq', 'puffs', 'tablets', 'capsules', 'iu', 'mmol']);
const MED_CUES = cueSet(['po', 'iv', 'im', 'sq', 'subq', 'oral', 'orally', 'inhaler', 'injection', 'tablet', 'capsule',
  'daily', 'bid', 'tid', 'qid', 'qd', 'qhs', 'prn', 'nightly', 'dose', 'taper']);
const MED_BEFORE = cueSet(['takes', 'take', 'taking', 'started', 'start', 'on', 'prescribed', 'given', 'continue',
  'stop', 'stopped', 'discontinue', 'increase', 'decrease', 'held', 'hold', 'resume']);
const LAB_CUES = cueSet(['level', 'lab', 'value', 'serum', 'plasma', 'blood', 'result', 'test', 'was', 'is', 'of']);
const VACCINE_CUES = cueSet(['immunizations', 'immunized', 'vaccine', 'vaccinated', 'vaccination', 'shot']);
const ALLERGY_CUES = cueSet(['allergy', 'allergies', 'allergic', 'intolerance', 'nka', 'nkda', 'reaction']);

/** Picks the posting the context supports, or undefined when flags or context rules exclude them all. */
function choosePosting(deps: MatcherDeps, tokens: readonly TextToken[], c: Candidate): Posting | undefined {
  const upper = tokensUpper(tokens, c);
  let usable = c.postings.filter(
    (p) =>
      !(p.flags & POSTING_FLAGS.lookupOnly) &&
      !(p.flags & POSTING_FLAGS.upperOnly && !upper) &&
      !(c.corrected && p.flags & POSTING_FLAGS.noFuzzy) &&
      !(c.kind === 'word-order' && p.flags & POSTING_FLAGS.abbreviation)
  );
  if (usable.length === 0) return undefined;
  // A substance is an allergen only where the sentence speaks of allergy ("allergic to latex", "Allergies:
  // penicillin"); elsewhere "silk", "solution" or "seeds" are sutures, fluids and anatomy.
  const allergyContext =
    c.key.split(' ').some((w) => ALLERGY_CUES.has(w)) || sentenceHas(tokens, c.first, ALLERGY_CUES, true);
  if (!allergyContext) {
    usable = usable.filter((p) => deps.groupOf(p.concept) !== 'allergen');
    if (usable.length === 0) return undefined;
  }
  const rules = deps.data.contextRules.get(c.key);
  const near = neighbours(tokens, c, 3);
  if (rules && !passesRules(rules, near)) return undefined;
  if (usable.length === 1) return usable[0];
  const byGroup = new Map<SemanticGroup, Posting>();
  for (const p of usable) {
    const g = deps.groupOf(p.concept);
    if (!byGroup.has(g)) byGroup.set(g, p);
  }
  const vaccine = byGroup.get('vaccine');
  if (vaccine && sentenceHas(tokens, c.first, VACCINE_CUES)) return vaccine;
  const med = byGroup.get('clinical-drug') ?? byGroup.get('medication');
  if (byGroup.has('allergen') && near.before.some((w) => ALLERGY_CUES.has(w))) return byGroup.get('allergen');
  const next = near.after[0];
  const doseFollows = next !== undefined && (MED_CUES.has(next) || (/^\d/.test(next) && DOSE_UNITS.has(near.after[1] ?? '')));
  if (med && (doseFollows || near.before.some((w) => MED_BEFORE.has(w)))) return med;
  const obs = byGroup.get('observable');
  if (obs && next !== undefined && (/^\d/.test(next) || LAB_CUES.has(next))) return obs;
  for (const g of SEMANTIC_GROUPS) {
    const p = byGroup.get(g);
    if (p) return p;
  }
  return usable[0];
}

/**
 * Whether a word of `cues` occurs earlier in the sentence of token `first`.
 * @param headerToo - also look one sentence back when it is a short header ("Allergies:" then a list).
 */
function sentenceHas(tokens: readonly TextToken[], first: number, cues: ReadonlySet<string>, headerToo = false): boolean {
  let breaks = 0;
  let sentenceWords = 0;
  for (let k = first - 1; k >= 0; k--) {
    sentenceWords++;
    if (cues.has(tokens[k].norm)) return true;
    if (tokens[k].breakBefore) {
      breaks++;
      if (!headerToo || breaks > 1 || sentenceWords > 12) break;
      sentenceWords = 0;
    }
  }
  return false;
}

function tokensUpper(tokens: readonly TextToken[], c: Candidate): boolean {
  for (let k = c.first; k <= c.last; k++) if (!tokens[k].stop && !tokens[k].upper) return false;
  return true;
}

function passesRules(rules: readonly ContextRuleRecord[], near: { before: string[]; after: string[] }): boolean {
  for (const r of rules) {
    const words = new Set(r.words);
    if (r.mode === 'require-before' && !near.before.some((w) => words.has(w))) return false;
    if (r.mode === 'block-before' && near.before.some((w) => words.has(w))) return false;
    if (r.mode === 'block-after' && near.after.some((w) => words.has(w))) return false;
  }
  return true;
}

/** Words that state a side. */
const LATERALITY: ReadonlySet<string> = new Set(['right', 'left', 'bilateral']);

/** Laterality words are looked for in the span and this many tokens before and after it. */
const LATERALITY_BEFORE = 3;

/** Applies the first refinement whose words the text states; returns the concept index to use. */
function refine(data: IndexData, tokens: readonly TextToken[], c: Candidate, concept: number): number {
  const list = data.refinements.get(concept);
  if (!list) return concept;
  let sentenceStart = c.first;
  while (sentenceStart > 0 && !tokens[sentenceStart].breakBefore) sentenceStart--;
  let sentenceEnd = c.last;
  while (sentenceEnd + 1 < tokens.length && !tokens[sentenceEnd + 1].breakBefore) sentenceEnd++;
  const lateral = new Set<string>();
  for (let k = c.first; k <= c.last; k++) lateral.add(tokens[k].norm);
  // A side just before the span ("right knee pain") or just after it in the same phrase ("otitis media, right ear"
  // is two phrases; "otitis media of the right ear" one).
  for (let k = c.first - 1; k >= Math.max(sentenceStart, c.first - LATERALITY_BEFORE); k--) {
    lateral.add(tokens[k].norm);
    if (tokens[k].softBreakBefore) break;
  }
  for (let k = c.last + 1; k <= Math.min(sentenceEnd, c.last + LATERALITY_BEFORE); k++) {
    if (tokens[k].softBreakBefore) break;
    lateral.add(tokens[k].norm);
  }
  const sentence = new Set<string>();
  for (let k = sentenceStart; k <= sentenceEnd; k++) sentence.add(tokens[k].norm);
  const sides = ['right', 'left', 'bilateral'].filter((s) => lateral.has(s));
  for (const r of list) {
    if (r.kind === 'laterality') {
      if (sides.length === 1 && r.words.includes(sides[0])) return r.target;
    } else if (r.words.some((w) => sentence.has(w))) {
      return r.target;
    }
  }
  return concept;
}
