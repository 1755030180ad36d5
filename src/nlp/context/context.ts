/**
 * The ConText algorithm (Harkema, Dowling, Thornblade, Chapman, J Biomed Inform 2009; Chapman et al., NegEx 2001)
 * over one sentence: find triggers (longest match wins within a category, pseudo-triggers block the shorter
 * triggers they contain), give each trigger a scope that runs forward and/or backward to the sentence edge, a
 * termination term, the next trigger of the same category (as medspaCy does) or a token limit, and let every
 * target inside a scope take the category of the nearest trigger. Lists ("no fever, chills or cough") fall inside
 * one forward scope, so all their members are negated. Pure.
 */
import { matchesAt } from '../phrase-trie.js';
import type { ContextAttributes, Token } from '../types.js';
import type { ContextCategory, ContextLexicon, ContextRule } from './lexicon.js';

/** A target's token range `[startToken, endToken)` in the sentence's token array. */
export interface ContextTarget {
  readonly startToken: number;
  readonly endToken: number;
}

/** Default scope limits per category, in words (a trigger reaches at most this many words; punctuation is free). */
export interface ContextSettings {
  readonly maxScope: Readonly<Record<ContextCategory, number>>;
}

/** Limits tuned on the development lines (1–1900) of the ConText reference standard. */
export const DEFAULT_CONTEXT_SETTINGS: ContextSettings = {
  maxScope: { negated: 12, possible: 12, historical: 20, hypothetical: 200, family: 12 },
};

/** What ConText decided for one target, plus the trigger offsets that decided it (for explanations). */
export interface ContextDecision extends ContextAttributes {
  readonly triggers: readonly { readonly start: number; readonly end: number; readonly category: ContextCategory }[];
}

interface Trigger {
  readonly rule: ContextRule;
  readonly startToken: number;
  readonly endToken: number;
  scopeStart: number;
  scopeEnd: number;
  backStart: number;
  backEnd: number;
}

const AFFIRMED: ContextDecision = { negation: 'affirmed', temporality: 'recent', experiencer: 'patient', triggers: [] };

/**
 * Runs ConText over the sentence `tokens[start, end)` for the given targets.
 * @param tokens - the note's tokens.
 * @param start - first token of the sentence.
 * @param end - index after the sentence's last token.
 * @param targets - the mentions to decide, as token ranges inside the sentence.
 * @param lexicon - the compiled trigger lexicon.
 * @param settings - scope limits.
 * @returns one decision per target, in the same order.
 */
export function runContext(
  tokens: readonly Token[],
  start: number,
  end: number,
  targets: readonly ContextTarget[],
  lexicon: ContextLexicon,
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS
): ContextDecision[] {
  if (targets.length === 0) return [];
  const triggers = findTriggers(tokens, start, end, targets, lexicon);
  if (triggers.length === 0) return targets.map(() => AFFIRMED);
  computeScopes(tokens, triggers, start, end, settings);
  const active = triggers.filter((t) => t.rule.direction !== 'pseudo' && t.rule.direction !== 'terminate');
  return targets.map((target) => decide(target, active, tokens));
}

/** Leftmost-longest trigger matches per category, skipping any that overlap a target. */
function findTriggers(
  tokens: readonly Token[],
  start: number,
  end: number,
  targets: readonly ContextTarget[],
  lexicon: ContextLexicon
): Trigger[] {
  const blockedUntil: Record<ContextCategory, number> = { negated: 0, possible: 0, historical: 0, hypothetical: 0, family: 0 };
  const found: Trigger[] = [];
  for (let i = start; i < end; i++) {
    if (!lexicon.trie.next.has(tokens[i].norm)) continue;
    const matches = matchesAt(lexicon.trie, tokens, i, end);
    if (matches.length === 0) continue;
    // the longest match per category starting here
    const best = new Map<ContextCategory, { rules: ContextRule[]; endToken: number }>();
    for (const m of matches) {
      if (overlapsTarget(i, m.endToken, targets)) continue;
      for (const rule of m.values) {
        const prev = best.get(rule.category);
        if (!prev || m.endToken > prev.endToken) best.set(rule.category, { rules: [rule], endToken: m.endToken });
        else if (m.endToken === prev.endToken) prev.rules.push(rule);
      }
    }
    for (const [category, { rules, endToken }] of best) {
      if (i < blockedUntil[category]) continue;
      // a trigger that starts with punctuation (": no", ": none") does not hide the word triggers inside it
      blockedUntil[category] = tokens[i].kind === 'punct' ? i + 1 : endToken;
      for (const rule of rules) {
        found.push({ rule, startToken: i, endToken, scopeStart: endToken, scopeEnd: endToken, backStart: i, backEnd: i });
      }
    }
  }
  return found;
}

function overlapsTarget(s: number, e: number, targets: readonly ContextTarget[]): boolean {
  for (const t of targets) if (s < t.endToken && t.startToken < e) return true;
  return false;
}

/** A comma-separated item longer than this (in words) is prose, not a list item. */
const MAX_LIST_ITEM_WORDS = 6;

/**
 * Index after the `limit`-th word at or after `from` (punctuation does not count), capped at `end`. A scope that
 * is still a list of short comma-separated items runs on past the limit ("denies chest pain, palpitations,
 * syncope, ... or edema"), and ends where the first long item starts.
 */
function forwardLimit(tokens: readonly Token[], from: number, end: number, limit: number): number {
  let words = 0;
  let itemWords = 0;
  let itemStart = from;
  let limitIndex = end;
  for (let i = from; i < end; i++) {
    const t = tokens[i];
    if (t.kind === 'punct') {
      if (t.norm === ',') {
        itemWords = 0;
        itemStart = i + 1;
      }
      continue;
    }
    if (++words === limit + 1) limitIndex = i;
    // short, trigger-specific scopes ("old", max 2 words) never stretch over a list
    if (words > limit && (limit < MAX_LIST_ITEM_WORDS || ++itemWords > MAX_LIST_ITEM_WORDS)) {
      return Math.max(itemStart, limitIndex);
    }
    if (words <= limit) itemWords++;
  }
  return end;
}

/** Index of the `limit`-th word before `from` (punctuation does not count), floored at `start`. */
function backwardLimit(tokens: readonly Token[], from: number, start: number, limit: number): number {
  let words = 0;
  for (let i = from - 1; i >= start; i--) {
    if (tokens[i].kind !== 'punct' && ++words > limit) return i + 1;
  }
  return start;
}

/**
 * The parentheses a token stands inside, within the sentence.
 * @returns the token indexes of "(" and its ")" (or the sentence end when unclosed), or undefined.
 */
function enclosingParentheses(tokens: readonly Token[], at: number, start: number, end: number): { open: number; close: number } | undefined {
  let depth = 0;
  let open = -1;
  for (let i = at - 1; i >= start; i--) {
    if (tokens[i].norm === ')') depth++;
    else if (tokens[i].norm === '(') {
      if (depth === 0) {
        open = i;
        break;
      }
      depth--;
    }
  }
  if (open < 0) return undefined;
  depth = 0;
  for (let i = at; i < end; i++) {
    if (tokens[i].norm === '(') depth++;
    else if (tokens[i].norm === ')') {
      if (depth === 0) return { open, close: i };
      depth--;
    }
  }
  return { open, close: end };
}

function computeScopes(
  tokens: readonly Token[],
  triggers: Trigger[],
  start: number,
  end: number,
  settings: ContextSettings
): void {
  for (const t of triggers) {
    const { category, direction } = t.rule;
    if (direction === 'pseudo' || direction === 'terminate') continue;
    const limit = t.rule.maxScope ?? settings.maxScope[category];
    let fEnd = forwardLimit(tokens, t.endToken, end, limit);
    let bStart = backwardLimit(tokens, t.startToken, start, limit);
    // a trigger inside parentheses reaches forward no further than them ("varices (no red wale signs), h/o HE");
    // backwards only a trigger that opens the parenthesis reaches what it qualifies ("QuantiFERON-TB (neg 2027)")
    const parens = enclosingParentheses(tokens, t.startToken, start, end);
    if (parens) {
      fEnd = Math.min(fEnd, parens.close);
      if (t.startToken > parens.open + 1) bStart = Math.max(bStart, parens.open + 1);
    }
    for (const o of triggers) {
      if (o === t || o.rule.category !== category || o.rule.direction === 'pseudo') continue;
      if (o.startToken >= t.endToken && o.startToken < fEnd) fEnd = o.startToken;
      if (o.endToken <= t.startToken && o.endToken > bStart) bStart = o.endToken;
    }
    if (direction === 'forward' || direction === 'bidirectional') {
      t.scopeStart = t.endToken;
      t.scopeEnd = fEnd;
    }
    if (direction === 'backward' || direction === 'bidirectional') {
      t.backStart = bStart;
      t.backEnd = t.startToken;
    }
  }
}

function decide(target: ContextTarget, triggers: readonly Trigger[], tokens: readonly Token[]): ContextDecision {
  const nearest = new Map<ContextCategory, { trigger: Trigger; distance: number }>();
  for (const t of triggers) {
    let distance = -1;
    if (t.scopeEnd > t.scopeStart && target.startToken >= t.scopeStart && target.startToken < t.scopeEnd) {
      distance = target.startToken - t.endToken;
    } else if (t.backEnd > t.backStart && target.endToken - 1 >= t.backStart && target.endToken <= t.backEnd) {
      distance = t.startToken - target.endToken;
    }
    if (distance < 0) continue;
    const prev = nearest.get(t.rule.category);
    if (!prev || distance < prev.distance) nearest.set(t.rule.category, { trigger: t, distance });
  }
  if (nearest.size === 0) return AFFIRMED;
  const neg = nearest.get('negated');
  const pos = nearest.get('possible');
  const hist = nearest.get('historical');
  const hypo = nearest.get('hypothetical');
  const fam = nearest.get('family');
  const negation: ContextAttributes['negation'] =
    neg && (!pos || neg.distance <= pos.distance) ? 'negated' : pos ? 'possible' : 'affirmed';
  // an if-clause or instruction outweighs a history cue inside it ("return if she experiences pain")
  const temporality: ContextAttributes['temporality'] = hypo ? 'hypothetical' : hist ? 'historical' : 'recent';
  const experiencer: ContextAttributes['experiencer'] = fam ? (fam.trigger.rule.nonFamily ? 'other' : 'family') : 'patient';
  const used = [...nearest.entries()].map(([category, { trigger }]) => ({
    start: tokens[trigger.startToken].start,
    end: tokens[trigger.endToken - 1].end,
    category,
  }));
  return {
    negation,
    temporality,
    experiencer,
    ...(fam?.trigger.rule.relative ? { relative: fam.trigger.rule.relative } : {}),
    triggers: used,
  };
}
