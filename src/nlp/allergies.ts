/**
 * Allergy lists: where a text lists allergies ("Allergies:" sections, an inline "All:" or "Allergy:" label, prose
 * "allergic to ..."), and how each item splits into the allergen and its reaction ("PCN -> anaphylaxis",
 * "sulfa (rash)", "penicillin - hives as a child", "allergic to penicillin, causes hives"). "NKDA" and its spellings
 * list nothing. Pure: the analysis joins these spans with the dictionary's matches (`analyze-rules.ts`).
 */
import type { NamedSection } from './sections.js';
import type { Sentence, Span } from './types.js';

/** A stretch of one sentence that lists allergies. */
export interface AllergyRegion extends Span {
  /** Index of the sentence. */
  readonly sentence: number;
}

/** One listed allergy: the allergen as written and, when stated, its reaction. */
export interface AllergyItem {
  readonly allergen: Span;
  readonly reaction?: Span;
  /** The item says the substance was tolerated ("tolerated cefazolin without reaction"): not an allergy. */
  readonly tolerated: boolean;
  /** The item starts like prose ("takes lisinopril", "Pt reports ..."), not like an allergen: the list has ended. */
  readonly prose: boolean;
}

/** An inline label that opens an allergy list inside another sentence ("... NKDA." / "Allergy: codeine - vomit"). */
const INLINE_LABEL = /(?:^|[\s.;,(])(?:all|allergies|allergy|drug allergies|allergies reviewed)\s*:\s*/gi;
/** Prose that names allergens after it ("allergic to penicillin", "allergy to sulfa", "intolerant of statins"). */
const PROSE_TRIGGER = /\b(?:allergic\s+to|allergy\s+to|allergies\s+to|intolerant\s+(?:of|to)|intolerance\s+to|sensitivity\s+to)\s+/gi;

/**
 * The allergy-listing stretches of a text.
 * @param text - the note text.
 * @param sentences - its sentences.
 * @param sections - its sections.
 * @returns regions in text order, at most one per sentence.
 */
export function findAllergyRegions(text: string, sentences: readonly Sentence[], sections: readonly NamedSection[]): AllergyRegion[] {
  const regions: AllergyRegion[] = [];
  const listEnds = new Map<number, number>();
  sentences.forEach((s, i) => {
    if (s.section >= 0 && sections[s.section].kind === 'allergies') {
      const end = listEnds.get(s.section) ?? allergyListEnd(text, sections[s.section]);
      listEnds.set(s.section, end);
      if (s.start < end) regions.push({ sentence: i, start: s.start, end: Math.min(s.end, end) });
      return;
    }
    const body = text.slice(s.start, s.end);
    const label = firstMatchEnd(INLINE_LABEL, body);
    const prose = firstMatchEnd(PROSE_TRIGGER, body);
    const from = label >= 0 && (prose < 0 || label <= prose) ? label : prose;
    if (from >= 0) regions.push({ sentence: i, start: s.start + from, end: s.end });
  });
  return regions;
}

/**
 * Where an Allergies section's list ends: with its line when the list follows the header on the same line
 * ("Allergies: PCN (hives), sulfa (rash)"), else at the first blank line ("ALLERGIES:" then one allergen per line).
 * Notes often run on without a header the table knows ("EKG in triage ...", "HOME MEDICATION LIST"), and a section
 * that runs on must not turn them into allergies (nor make them historical, as the section's context would).
 * @param text - the note text.
 * @param section - an Allergies section.
 * @returns the offset where its list ends.
 */
export function allergyListEnd(text: string, section: NamedSection): number {
  const { start, end } = section.body;
  const headerLineEnd = text.indexOf('\n', section.header.end);
  if (headerLineEnd < 0 || headerLineEnd >= end) return end;
  if (text.slice(section.header.end, headerLineEnd).trim() !== '') return headerLineEnd;
  const blank = /\n[ \t]*\r?\n/.exec(text.slice(start, end));
  return blank ? start + blank.index : end;
}

function firstMatchEnd(re: RegExp, s: string): number {
  re.lastIndex = 0;
  const m = re.exec(s);
  return m ? m.index + m[0].length : -1;
}

/** "No known drug allergies" in its spellings: the list is empty. */
const NONE = /^(?:nkda|nka|nkma|none|no\s+known(?:\s+\w+)?\s+allerg\w*|no\s+(?:drug\s+|medication\s+)?allerg\w*|denies(?:\s+\w+)?\s+allerg\w*|not\s+known|unknown|n\/a|nil)\b/i;
/** Between an allergen and its reaction. */
const REACTION_SEPARATOR = /\s*(?:\(|->|-->|→|=>|\s-\s|–|—|:|\bcauses?\b|\bcaused\b|\bgives?\b|\bmakes?\s+(?:me|him|her|them)\b|\bresult(?:s|ed)?\s+in\b|\bleads?\s+to\b|\bwith\b)\s*/i;
/** An item that only gives the reaction of the previous allergen ("allergic to penicillin, causes hives"). */
const REACTION_ONLY = /^\s*(?:causes?|caused|gives?|makes?\s+(?:me|him|her|them)|results?\s+in|leads?\s+to|reaction\s*:?)\s+/i;
const TOLERATED = /\btolerat(?:ed|es|ing)\b|\bavoid(?:ed|s|ing)?\b|\bwithout\s+(?:issue|reaction|problem)s?\b|\bw\/o\s+(?:issue|reaction|problem)s?\b/i;
/** Words that start prose, not an allergen ("Pt", "has", "verified"). */
const NOT_AN_ALLERGEN_START = /^(?:pt|patient|he|she|they|has|had|have|is|was|were|no|not|none|denies|reviewed|verified|per|see|as|also|other|but|and|or|reports?|states?|unknown|nkda|nka|takes?|taking|uses?|using|on|started|starts?|received|receives|given|continues?|prescribed|which|that|who|so|then|now)\b/i;
/** Longest uncoded allergen the list parser writes, in words ("iodinated contrast media" is 3). */
const MAX_ALLERGEN_WORDS = 4;
/** Longest reaction kept as text when no problem concept codes it, in characters. */
const MAX_REACTION_CHARS = 40;

/**
 * Splits an allergy region into items.
 * @param text - the note text.
 * @param region - the region.
 * @returns the items; empty for "NKDA" and the like.
 */
export function parseAllergyItems(text: string, region: Span): AllergyItem[] {
  const items: AllergyItem[] = [];
  for (const part of splitItems(text, region)) {
    const raw = text.slice(part.start, part.end);
    if (NONE.test(raw.trim().replace(/^[-*•\s]+/, ''))) continue;
    const reactionOnly = REACTION_ONLY.exec(raw);
    if (reactionOnly && items.length > 0) {
      const previous = items[items.length - 1];
      if (!previous.reaction) items[items.length - 1] = { ...previous, reaction: trimSpan(text, part.start + reactionOnly[0].length, part.end) };
      continue;
    }
    const sep = REACTION_SEPARATOR.exec(raw);
    const allergenEnd = sep && sep.index > 0 ? part.start + sep.index : part.end;
    const allergen = trimSpan(text, part.start, allergenEnd);
    if (allergen.end <= allergen.start) continue;
    const reaction = sep && sep.index > 0 ? trimSpan(text, part.start + sep.index + sep[0].length, part.end) : undefined;
    items.push({
      allergen,
      ...(reaction && reaction.end > reaction.start ? { reaction } : {}),
      tolerated: TOLERATED.test(raw),
      prose: NOT_AN_ALLERGEN_START.test(text.slice(allergen.start, allergen.end)),
    });
  }
  return items;
}

/**
 * Whether an allergen the dictionary could not code is still written, as `code.text`: a short name that starts like
 * a substance ("adhesive tape", "IV contrast"), not prose ("Pt tolerated ...").
 * @param text - the note text.
 * @param span - the allergen as written.
 * @returns true for a plausible uncoded allergen.
 */
export function isPlausibleAllergen(text: string, span: Span): boolean {
  const s = text.slice(span.start, span.end);
  if (!/^[A-Za-z][A-Za-z0-9 '\-/&.]*$/.test(s) || NOT_AN_ALLERGEN_START.test(s) || NONE.test(s)) return false;
  return s.split(/\s+/).length <= MAX_ALLERGEN_WORDS;
}

/**
 * The reaction as text when no problem concept codes it: its first clause ("makes me vomit", "swelling"), without
 * a time ("as a child", "2018").
 * @param text - the note text.
 * @param span - the reaction part of an item.
 * @returns the span kept, or undefined when nothing short remains.
 */
export function reactionTextSpan(text: string, span: Span): Span | undefined {
  const s = text.slice(span.start, span.end);
  const cut = /\s*(?:[,;()]|\bas\s+an?\b|\bin\s+(?:19|20)\d\d\b|\b(?:19|20)\d\d\b|\bper\b|\bnot\s+true\b|\bin\s+childhood\b)/i.exec(s);
  const end = cut ? span.start + cut.index : span.end;
  const kept = trimSpan(text, span.start, end);
  const t = text.slice(kept.start, kept.end);
  return kept.end > kept.start && t.length <= MAX_REACTION_CHARS && /[a-z]/i.test(t) ? kept : undefined;
}

/** Splits on `,`, `;`, line breaks and " and " outside parentheses. */
function splitItems(text: string, region: Span): Span[] {
  const parts: Span[] = [];
  let depth = 0;
  let start = region.start;
  for (let p = region.start; p < region.end; p++) {
    const c = text[p];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ',' || c === ';' || c === '\n' || (c === ' ' && /^ and /i.test(text.slice(p, p + 5))))) {
      parts.push({ start, end: p });
      start = c === ' ' ? p + 5 : p + 1;
      if (c === ' ') p += 4;
    }
  }
  parts.push({ start, end: region.end });
  return parts.map((s) => trimSpan(text, s.start, s.end)).filter((s) => s.end > s.start);
}

function trimSpan(text: string, start: number, end: number): Span {
  let s = start;
  let e = end;
  while (s < e && /[\s\-*•.,;:"'(]/.test(text[s])) s++;
  while (e > s && /[\s.,;:"')]/.test(text[e - 1])) e--;
  return { start: s, end: e };
}
