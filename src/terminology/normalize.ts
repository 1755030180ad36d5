/**
 * Text normalisation shared by the index builder and the matcher. Terms and note text go through exactly the same
 * functions, so a term matches whenever its normalised tokens appear in the text. Pure; no I/O.
 *
 * A token's `norm` is: lower case, diacritics removed, British spellings folded to American, a light stemmer
 * (plurals, `-ing`, `-ed`, final `-e`), unit and numeral synonyms. Consistency matters more than linguistics: the
 * stem of "diabetes" is "diabet" on both sides.
 */

import type { SemanticGroup } from './types.js';

/** One word or number of a text, with exact UTF-16 offsets. Punctuation is not a token. */
export interface TextToken {
  readonly start: number;
  readonly end: number;
  /** The normalised form used for look-ups. */
  readonly norm: string;
  /** True when the token is a stop word: skipped inside a term, never the first or last token of a match. */
  readonly stop: boolean;
  /** True when a sentence or list break (`.`, `;`, `:`, `!`, `?`, newline) precedes the token. */
  readonly breakBefore: boolean;
  /** True when a comma or other soft punctuation precedes the token (bag-of-words windows stop there). */
  readonly softBreakBefore: boolean;
  /** True when the source text of the token has no lower-case letter (e.g. `HTN`, `T2DM`). */
  readonly upper: boolean;
}

/** Words dropped from term keys: they vary freely between a term and the way a note says it. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'the',
  'of',
  'in',
  'on',
  'at',
  'to',
  'for',
  'by',
  'and',
  'or',
  'from',
  'nos',
]);

/** Stems that must not be touched by the plural rule (they are not plurals, or the singular means something else). */
const STEM_EXCEPTIONS: ReadonlySet<string> = new Set([
  'aids',
  'ams',
  'bis',
  'gas',
  'lens',
  'news',
  'sepsis',
  'mumps',
  'measles',
  'rabies',
  'scabies',
  'herpes',
  'pubis',
  'pelvis',
  'iris',
  'virus',
  'always',
  'has',
  'was',
  'does',
  'this',
  'is',
  'us',
  'yes',
  'ms',
]);

/** Whole-token synonyms applied after stemming (units and spelled-out forms). */
const TOKEN_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['unit', 'unt'],
  ['milligram', 'mg'],
  ['microgram', 'mcg'],
  ['ug', 'mcg'],
  ['\u00b5g', 'mcg'],
  ['milliliter', 'ml'],
  ['millilitre', 'ml'],
  ['hr', 'hr'],
  ['hour', 'hr'],
  ['tab', 'tablet'],
  ['cap', 'capsul'],
]);

/** Words after which a roman numeral is a number (type II diabetes, stage IV, class III). */
const NUMERAL_CONTEXT: ReadonlySet<string> = new Set(
  ['type', 'stage', 'grade', 'class', 'phase', 'level', 'degree'].flatMap((w) => [w, stem(w)])
);
const ROMAN: ReadonlyMap<string, string> = new Map([
  ['i', '1'],
  ['ii', '2'],
  ['iii', '3'],
  ['iv', '4'],
  ['v', '5'],
  ['vi', '6'],
]);

/**
 * The number a roman numeral stands for after a numeral-context word ("type II" → `2`), or undefined.
 * @param raw - a word's source text.
 * @returns the numeral's norm in such a context.
 */
export function romanNumeralValue(raw: string): string | undefined {
  return raw.length <= 3 ? ROMAN.get(raw.toLowerCase()) : undefined;
}

/** British → American spelling folds, applied in order to a lower-cased token. */
const SPELLING_FOLDS: readonly (readonly [RegExp, string])[] = [
  [/aemia/g, 'emia'],
  [/haem/g, 'hem'],
  [/^anaes/g, 'anes'],
  [/aest/g, 'est'],
  [/ischaem/g, 'ischem'],
  [/leukaem/g, 'leukem'],
  [/paed/g, 'ped'],
  [/oedem/g, 'edem'],
  [/oesoph/g, 'esoph'],
  [/oestr/g, 'estr'],
  [/coeli/g, 'celi'],
  [/foet/g, 'fet'],
  [/diarrhoe/g, 'diarrhe'],
  [/rrhoea/g, 'rrhea'],
  [/caesar/g, 'cesar'],
  [/isation/g, 'ization'],
  [/(?<=\w{3})our$/g, 'or'],
  [/(?<=\w{3})tre$/g, 'ter'],
  [/sulph/g, 'sulf'],
  [/glycaem/g, 'glycem'],
  [/lipidaem/g, 'lipidem'],
  [/kalaem/g, 'kalem'],
  [/natraem/g, 'natrem'],
  [/uraem/g, 'urem'],
];

/**
 * Light, deterministic stemmer: one suffix rule, then a final `e` is dropped. Words of four letters or fewer are
 * left alone so abbreviations and short words never collide.
 * @param word - a lower-cased word.
 * @returns its stem.
 */
export function stem(word: string): string {
  if (word.length <= 3 || STEM_EXCEPTIONS.has(word) || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith("'s") || w.endsWith('\u2019s')) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.length > 5 && /(?:x|ch|sh|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length >= 4 && w.endsWith('s') && !/(?:ss|us|is|ys)$/.test(w)) w = w.slice(0, -1);
  else if (w.length >= 7 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (w.length >= 6 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2));
  if (w.length >= 5 && w.endsWith('e') && !w.endsWith('ee')) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return /([b-df-hj-np-tv-z])\1$/.test(w) && !/(?:ll|ss|zz)$/.test(w) ? w.slice(0, -1) : w;
}

/**
 * Normalises one word as it appears in text.
 * @param raw - the token's source text.
 * @param previous - the previous token's norm, for numeral context.
 * @returns the normalised form.
 */
export function normalizeWord(raw: string, previous?: string): string {
  if (previous !== undefined && NUMERAL_CONTEXT.has(previous) && ROMAN.has(raw.toLowerCase())) {
    return ROMAN.get(raw.toLowerCase()) ?? raw;
  }
  const memo = WORD_MEMO.get(raw);
  if (memo !== undefined) return memo;
  const norm = normalizeUncached(raw);
  if (WORD_MEMO.size >= WORD_MEMO_MAX) WORD_MEMO.clear();
  WORD_MEMO.set(raw, norm);
  return norm;
}

/** Memo of {@link normalizeWord}: a pure function of the raw word, so caching changes nothing but speed. */
const WORD_MEMO = new Map<string, string>();
const WORD_MEMO_MAX = 200_000;

function normalizeUncached(raw: string): string {
  let w = raw.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  w = w.replace(/[\u2019`]/g, "'");
  for (const [pattern, replacement] of SPELLING_FOLDS) {
    if (w.length >= 4) w = w.replace(pattern, replacement);
  }
  w = stem(w);
  w = w.replace(/'/g, '');
  return TOKEN_SYNONYMS.get(w) ?? w;
}

/** Words, numbers with decimals, and letter-digit mixes (T2DM, SpO2, HbA1c, 0.125). */
const TOKEN_RE = /[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)*(?:[.,](?=\p{N})[\p{N}]+)*|[^\s\p{L}\p{N}]|\n/gu;
const HARD_BREAK = /^[.;:!?\n\u2022]$/;
/** Symbols that carry meaning inside a term ("Urine protein test = +", "Body mass index 30+"): kept as tokens. */
const VALUE_SYMBOLS: ReadonlySet<string> = new Set(['+', '=', '<', '>']);

/**
 * Splits a text into normalised tokens with exact offsets.
 * @param text - any text (a note, a term).
 * @returns the word and number tokens; punctuation is folded into the break flags.
 */
export function tokenize(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  let hard = true;
  let soft = false;
  let previous: string | undefined;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(text); m !== null; m = TOKEN_RE.exec(text)) {
    const raw = m[0];
    const first = raw.codePointAt(0) ?? 0;
    const isWord = /[\p{L}\p{N}]/u.test(String.fromCodePoint(first)) || VALUE_SYMBOLS.has(raw);
    if (!isWord) {
      if (HARD_BREAK.test(raw)) hard = true;
      else if (raw === ',' || raw === '(' || raw === ')' || raw === '/' || raw === '-' || raw === '[' || raw === ']')
        soft = true;
      continue;
    }
    const norm = normalizeWord(raw, previous);
    tokens.push({
      start: m.index,
      end: m.index + raw.length,
      norm,
      stop: STOP_WORDS.has(norm),
      breakBefore: hard,
      softBreakBefore: soft || hard,
      upper: raw === raw.toUpperCase() && /\p{L}/u.test(raw),
    });
    previous = norm;
    hard = false;
    soft = false;
  }
  return tokens;
}

/**
 * The key of a term: its non-stop normalised tokens joined by spaces.
 * @param term - a term as written in a source.
 * @returns the key, or '' when nothing but stop words and punctuation remains.
 */
export function termKey(term: string): string {
  return keyOf(tokenize(stripSemanticTag(term)));
}

/**
 * The key of a token sequence.
 * @param tokens - tokens from {@link tokenize}.
 * @returns the non-stop norms joined by spaces.
 */
export function keyOf(tokens: readonly TextToken[]): string {
  return tokens
    .filter((t) => !t.stop)
    .map((t) => t.norm)
    .join(' ');
}

/**
 * The order-insensitive key of a multi-word key: its distinct words sorted.
 * @param key - a key from {@link termKey}.
 * @returns the bag-of-words key.
 */
export function bagKey(key: string): string {
  return [...new Set(key.split(' '))].sort().join(' ');
}

/** SNOMED CT semantic tags as they trail a fully specified name, e.g. "Asthma (disorder)". */
const SEMANTIC_TAG_RE =
  /\s*\((?:disorder|finding|situation|procedure|regime\/therapy|record artifact|observable entity|substance|product|morphologic abnormality|event|body structure|qualifier value|physical object|clinical drug|medicinal product|medicinal product form|environment|person|organism|navigational concept)\)\s*$/i;

/**
 * Removes a trailing SNOMED CT semantic tag.
 * @param display - a display or fully specified name.
 * @returns the text without the tag.
 */
export function stripSemanticTag(display: string): string {
  return display.replace(SEMANTIC_TAG_RE, '');
}

/**
 * The semantic tag of a fully specified name, if any.
 * @param display - a display or fully specified name.
 * @returns the tag in lower case, e.g. `disorder`.
 */
export function semanticTagOf(display: string): string | undefined {
  const m = SEMANTIC_TAG_RE.exec(display);
  return m ? m[0].trim().slice(1, -1).toLowerCase() : undefined;
}

/**
 * SNOMED CT semantic tags both the default build and the RF2 importer code, and their groups. Each adds its own
 * (the importer: medicinal products and clinical drugs; the default build: record artifacts and tags it skips).
 */
export const SNOMED_TAG_GROUPS: Readonly<Record<string, SemanticGroup>> = {
  disorder: 'disorder',
  finding: 'finding',
  situation: 'finding',
  event: 'finding',
  procedure: 'procedure',
  'regime/therapy': 'procedure',
  'observable entity': 'observable',
  substance: 'allergen',
  product: 'medication',
};
