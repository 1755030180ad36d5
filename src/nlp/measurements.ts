/**
 * Measurements: vitals and labs with value, UCUM unit, flag and comparator, coded with LOINC from the definitions
 * in `models/lexicons/measurements.json`. Aliases are matched on tokens; the value, unit and flag are read from
 * the text right after the alias. Values outside a definition's plausible range (or a systolic pressure not above
 * the diastolic) are rejected with a reason instead of being reported. Pure.
 */
import { LOINC } from '../terminology/systems.js';
import type { Concept } from '../terminology/types.js';
import { addPhrase, createTrie, longestAt, type TrieNode } from './phrase-trie.js';
import { phraseNorms } from './tokenize.js';
import type { MeasurementMention, RejectedMeasurement, Span, Token } from './types.js';

/** One measurement definition (a row of `measurements.json`). */
export interface MeasurementDefinition {
  readonly key: string;
  readonly kind: 'single' | 'blood-pressure' | 'height';
  readonly category: MeasurementMention['category'];
  readonly loinc: string;
  readonly display: string;
  readonly aliases: readonly string[];
  readonly caseSensitiveAliases?: readonly string[];
  /** Allowed UCUM units with the plausible `[min, max]` of a value in that unit. */
  readonly units: Readonly<Record<string, readonly [number, number]>>;
  readonly defaultUnit?: string;
  readonly inferUnits?: readonly string[];
  readonly loincByUnit?: Readonly<Record<string, string>>;
  readonly components?: readonly { readonly loinc: string; readonly display: string; readonly plausible: readonly [number, number] }[];
  /** A unitless value at or above this is a count per microliter ("platelets 152,000") and is divided by 1000. */
  readonly countPerMicroliterAbove?: number;
}

/** A trie entry: an alias of a definition, or a phrase that contains an alias but is no measurement. */
interface AliasEntry {
  readonly def?: MeasurementDefinition;
  readonly caseSensitive?: string;
}

/** The compiled definitions. */
export interface MeasurementTable {
  readonly definitions: readonly MeasurementDefinition[];
  readonly trie: TrieNode<AliasEntry>;
  readonly unitRe: RegExp;
  readonly writtenUnits: ReadonlyMap<string, string>;
}

/** A measurement found in the text, before it becomes a mention. */
export type FoundMeasurement = Pick<
  MeasurementMention,
  'span' | 'concept' | 'category' | 'value' | 'unit' | 'components' | 'interpretation' | 'comparator'
> & { readonly key: string; readonly concept: Concept };

/** What `extractMeasurements` returns: what it kept and what it rejected, with reasons. */
export interface MeasurementExtraction {
  readonly found: FoundMeasurement[];
  readonly rejected: RejectedMeasurement[];
}

/**
 * Parses `measurements.json`.
 * @param json - the file content.
 * @returns the compiled table; throws when a definition lacks a field it needs (naming its key).
 */
export function parseMeasurementDefinitions(json: string): MeasurementTable {
  const doc = JSON.parse(json) as {
    writtenUnits: Record<string, string>;
    definitions: MeasurementDefinition[];
    ignorePhrases?: string[];
  };
  const trie = createTrie<AliasEntry>();
  for (const phrase of doc.ignorePhrases ?? []) addPhrase(trie, phraseNorms(phrase), {});
  for (const def of doc.definitions) {
    if (!def.key || !def.loinc || !def.units || Object.keys(def.units).length === 0) {
      throw new Error(`measurements.json: definition '${String(def.key)}' needs key, loinc and units`);
    }
    for (const alias of def.aliases) addPhrase(trie, phraseNorms(alias), { def });
    for (const alias of def.caseSensitiveAliases ?? []) addPhrase(trie, phraseNorms(alias), { def, caseSensitive: alias });
  }
  const written = Object.keys(doc.writtenUnits).sort((a, b) => b.length - a.length);
  const alternation = written.map((u) => escapeRegExp(u).replace(/ /g, '\\s*')).join('|');
  const unitRe = new RegExp(`[ \\t]*(${alternation})(?![A-Za-z\\d])`, 'iy');
  const writtenUnits = new Map(Object.entries(doc.writtenUnits).map(([k, v]) => [k.replace(/\s+/g, ''), v]));
  return { definitions: doc.definitions, trie, unitRe, writtenUnits };
}

/** Words and marks allowed between an alias and its value ("BP was 120/80", "HR: 72", "glucose of 145"). */
const FILLER_RE =
  /(?:[ \t]*(?:[:=~]|-(?=\s)|\(|of|was|is|were|are|at|now|today|then|level|levels|value|reading|measured|remained|recorded|noted|initially|currently|approximately|approx\.?|about|around|only|in the|has been|had been|on admission|on arrival|up to|down to|elevated at|increased to|decreased to|improved to|came back)(?![A-Za-z]))*[ \t]*/y;
const VALUE_RE = /(<=|>=|<|>|\u2264|\u2265)?[ \t]*(\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:\.\d+)?|\.\d+)/y;
const BP_RE = /(\d{2,3})[ \t]*\/[ \t]*(\d{2,3})(?![\d/])/y;
const FEET_INCHES_RE =
  /(\d)[ \t]*(?:'|\u2019|ft|feet|foot)(?:[ \t]*(?:and[ \t]+)?(\d{1,2}(?:\.\d+)?)(?:[ \t]*(?:"|''|\u201d|inches|inch|in(?![A-Za-z])))?)?/iy;
const FLAG_RE = /[ \t]*(?:\([ \t]*)?(HH|LL|H|L|A)(?:[ \t]*\))?(?![A-Za-z\d])/y;
const FLAG_WORD_RE = /[ \t]*\(?(high|low|critical|abnormal|elevated)\)?(?![A-Za-z])/iy;
const COMPARATORS: Readonly<Record<string, FoundMeasurement['comparator']>> = {
  '<': '<', '>': '>', '<=': '<=', '>=': '>=', '\u2264': '<=', '\u2265': '>=',
};

/**
 * Finds measurements in the text.
 * @param text - the note text.
 * @param tokens - the note's tokens.
 * @param table - the compiled definitions.
 * @param skip - spans (section headers) where aliases are ignored.
 * @returns kept measurements and rejected ones, both in text order.
 */
export function extractMeasurements(
  text: string,
  tokens: readonly Token[],
  table: MeasurementTable,
  skip: readonly Span[] = []
): MeasurementExtraction {
  const found: FoundMeasurement[] = [];
  const rejected: RejectedMeasurement[] = [];
  let consumedUntil = 0;
  let skipIndex = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.start < consumedUntil || t.kind !== 'word' || !table.trie.next.has(t.norm)) continue;
    while (skipIndex < skip.length && skip[skipIndex].end <= t.start) skipIndex++;
    if (skipIndex < skip.length && skip[skipIndex].start <= t.start) continue;
    if (t.start > 0 && isAlnum(text.charCodeAt(t.start - 1))) continue;
    const m = longestAt(table.trie, tokens, i, Math.min(tokens.length, i + 6));
    if (!m) continue;
    const aliasEnd = tokens[m.endToken - 1].end;
    const raw = text.slice(t.start, aliasEnd);
    const entry = m.values.find((v) => v.caseSensitive === undefined || v.caseSensitive === raw);
    if (!entry) continue;
    if (!entry.def) {
      consumedUntil = aliasEnd; // "potassium chloride 20 mEq" is a drug, not a potassium level
      i = m.endToken - 1;
      continue;
    }
    const single = aliasEnd - t.start === 1;
    const result = readValue(text, t.start, aliasEnd, entry.def, table, single);
    if (!result) continue;
    if ('reason' in result) {
      if (!single) rejected.push({ span: result.span, key: entry.def.key, reason: result.reason });
    } else {
      found.push(result);
    }
    consumedUntil = 'reason' in result ? aliasEnd : result.span.end;
    i = m.endToken - 1;
  }
  return { found, rejected };
}

type ReadResult = FoundMeasurement | { readonly span: Span; readonly reason: RejectedMeasurement['reason'] };

function readValue(
  text: string,
  aliasStart: number,
  aliasEnd: number,
  def: MeasurementDefinition,
  table: MeasurementTable,
  singleLetterAlias: boolean
): ReadResult | undefined {
  let p = aliasEnd;
  if (singleLetterAlias) {
    // "T 98.6", "P: 72": a one-letter alias needs a space or colon, and no words in between
    const m = /[ \t]*:?[ \t]*/y;
    m.lastIndex = p;
    m.exec(text);
    if (m.lastIndex === p) return undefined;
    p = m.lastIndex;
  } else {
    FILLER_RE.lastIndex = p;
    FILLER_RE.exec(text);
    p = FILLER_RE.lastIndex;
  }
  if (p - aliasEnd > 30) return undefined;
  if (def.kind === 'blood-pressure') return readBloodPressure(text, aliasStart, p, def, table);
  if (def.kind === 'height') {
    FEET_INCHES_RE.lastIndex = p;
    const fi = FEET_INCHES_RE.exec(text);
    if (fi) {
      const inches = Number(fi[1]) * 12 + (fi[2] ? Number(fi[2]) : 0);
      return finishSingle(text, aliasStart, FEET_INCHES_RE.lastIndex, def, inches, '[in_i]', undefined);
    }
  }
  VALUE_RE.lastIndex = p;
  const v = VALUE_RE.exec(text);
  if (!v) return undefined;
  const valueEnd = VALUE_RE.lastIndex;
  if (text[valueEnd] === '/' && /\d/.test(text[valueEnd + 1] ?? '')) return undefined; // a date or a ratio
  if (text[valueEnd] === '+') return undefined; // an exam grade ("pulses 2+")
  const value = Number(v[2].replace(/,/g, ''));
  const comparator = v[1] ? COMPARATORS[v[1]] : undefined;
  let end = valueEnd;
  let unit: string | undefined;
  table.unitRe.lastIndex = valueEnd;
  const u = table.unitRe.exec(text);
  if (u) {
    const ucum = table.writtenUnits.get(u[1].toLowerCase().replace(/\s+/g, ''));
    if (ucum === '') {
      end = table.unitRe.lastIndex; // "98.6 degrees": consume, infer below
    } else if (ucum !== undefined && def.units[ucum]) {
      unit = ucum;
      end = table.unitRe.lastIndex;
    }
  }
  return finishSingle(text, aliasStart, end, def, value, unit, comparator);
}

function finishSingle(
  text: string,
  aliasStart: number,
  end: number,
  def: MeasurementDefinition,
  writtenValue: number,
  writtenUnit: string | undefined,
  comparator: FoundMeasurement['comparator']
): ReadResult {
  let value = writtenValue;
  if (!writtenUnit && def.countPerMicroliterAbove !== undefined && value >= def.countPerMicroliterAbove) {
    value = Math.round(value) / 1000; // "WBC 11,800": cells per microliter, reported in 10*3/uL
  }
  let unit = writtenUnit ?? def.defaultUnit;
  if (!unit && def.inferUnits) {
    unit = def.inferUnits.find((u) => inRange(value, def.units[u]));
    if (!unit) return { span: { start: aliasStart, end }, reason: 'implausible-value' };
  }
  if (!unit) return { span: { start: aliasStart, end }, reason: 'missing-unit' };
  const range = def.units[unit];
  if (!range) return { span: { start: aliasStart, end }, reason: 'unknown-unit' };
  if (!inRange(value, range) && !(comparator && value === 0)) {
    return { span: { start: aliasStart, end }, reason: 'implausible-value' };
  }
  const flag = readFlag(text, end);
  return {
    key: def.key,
    span: { start: aliasStart, end: flag ? flag.end : end },
    concept: toConcept(def.loincByUnit?.[unit] ?? def.loinc, def.display),
    category: def.category,
    value,
    unit,
    ...(flag ? { interpretation: flag.code } : {}),
    ...(comparator ? { comparator } : {}),
  };
}

function readBloodPressure(
  text: string,
  aliasStart: number,
  p: number,
  def: MeasurementDefinition,
  table: MeasurementTable
): ReadResult | undefined {
  BP_RE.lastIndex = p;
  const m = BP_RE.exec(text);
  const [sys, dia] = def.components ?? [];
  if (!m || !sys || !dia) return undefined;
  let end = BP_RE.lastIndex;
  table.unitRe.lastIndex = end;
  const u = table.unitRe.exec(text);
  if (u && table.writtenUnits.get(u[1].toLowerCase().replace(/\s+/g, '')) === 'mm[Hg]') end = table.unitRe.lastIndex;
  const systolic = Number(m[1]);
  const diastolic = Number(m[2]);
  const span = { start: aliasStart, end };
  if (!inRange(systolic, sys.plausible) || !inRange(diastolic, dia.plausible)) return { span, reason: 'implausible-value' };
  if (systolic <= diastolic) return { span, reason: 'systolic-not-above-diastolic' };
  const sysStart = p + m[0].indexOf(m[1]);
  const diaStart = p + m[0].lastIndexOf(m[2]);
  return {
    key: def.key,
    span,
    concept: toConcept(def.loinc, def.display),
    category: def.category,
    components: [
      { concept: toConcept(sys.loinc, sys.display), value: systolic, unit: 'mm[Hg]', span: { start: sysStart, end: sysStart + m[1].length } },
      { concept: toConcept(dia.loinc, dia.display), value: diastolic, unit: 'mm[Hg]', span: { start: diaStart, end: diaStart + m[2].length } },
    ],
  };
}

function readFlag(text: string, pos: number): { code: NonNullable<FoundMeasurement['interpretation']>; end: number } | undefined {
  FLAG_RE.lastIndex = pos;
  const f = FLAG_RE.exec(text);
  if (f) return { code: f[1] as NonNullable<FoundMeasurement['interpretation']>, end: FLAG_RE.lastIndex };
  FLAG_WORD_RE.lastIndex = pos;
  const w = FLAG_WORD_RE.exec(text);
  if (!w) return undefined;
  const word = w[1].toLowerCase();
  const code = word === 'low' ? 'L' : word === 'high' || word === 'elevated' ? 'H' : 'A';
  return { code, end: FLAG_WORD_RE.lastIndex };
}

/**
 * A LOINC-coded concept for a measurement.
 * @param code - the LOINC code.
 * @param display - its display.
 * @returns the concept, with id `loinc:<code>` and group `observable`.
 */
export function toConcept(code: string, display: string): Concept {
  return { id: `loinc:${code}`, group: 'observable', display, codings: [{ system: LOINC, code, display }] };
}

function inRange(value: number, range: readonly [number, number] | undefined): boolean {
  return range !== undefined && value >= range[0] && value <= range[1];
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
