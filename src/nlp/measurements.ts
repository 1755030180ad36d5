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

/** The FHIR observation-category of a measurement. */
export type MeasurementCategory = MeasurementMention['category'];

/** One measurement definition (a row of `measurements.json` or of the generated `labs.json`). */
export interface MeasurementDefinition {
  readonly key: string;
  readonly kind: 'single' | 'blood-pressure' | 'height' | 'sequence';
  /** kind `sequence`: the keys of the definitions whose values follow in this order ("ABG 7.31/48/82/24"). */
  readonly parts?: readonly string[];
  /** A count written before its name is read ("38 segs, 3 bands", "12% bands"). */
  readonly valueBefore?: boolean;
  readonly category: MeasurementCategory;
  readonly loinc: string;
  readonly display: string;
  /** Where a code outside the LOINC Top 2000 list comes from (labs.json only; informative). */
  readonly loincSource?: string;
  readonly aliases: readonly string[];
  readonly caseSensitiveAliases?: readonly string[];
  /** Allowed UCUM units with the plausible `[min, max]` of a value in that unit. */
  readonly units: Readonly<Record<string, readonly [number, number]>>;
  readonly defaultUnit?: string;
  readonly inferUnits?: readonly string[];
  readonly loincByUnit?: Readonly<Record<string, string>>;
  readonly components?: readonly { readonly loinc: string; readonly display: string; readonly plausible: readonly [number, number] }[];
  /** A unitless value at or above this is a count per microliter ("platelets 152,000"), written in `/uL` as such. */
  readonly countPerMicroliterAbove?: number;
  /** "LVEF 30-35%", "EF 20 to 25%": a written range is kept as low and high. */
  readonly allowRange?: boolean;
  /** Denominators of a score written as a fraction ("pain 7/10", "PHQ-9 13/27"): read and dropped. */
  readonly outOf?: readonly number[];
  /** Only a value written as a fraction counts ("pain 7/10", never "pain x3 days"). */
  readonly requireOutOf?: boolean;
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
  'span' | 'concept' | 'category' | 'value' | 'valueHigh' | 'unit' | 'components' | 'interpretation' | 'comparator'
> & { readonly key: string; readonly concept: Concept };

/** What `extractMeasurements` returns: what it kept and what it rejected, with reasons. */
export interface MeasurementExtraction {
  readonly found: FoundMeasurement[];
  readonly rejected: RejectedMeasurement[];
}

/**
 * Parses `measurements.json` (units, vital signs, phrases to ignore) and, when given, the generated `labs.json`
 * (labs and scored measures; `models/lexicons/tools/build-lab-lexicon.mjs`).
 * @param json - the content of measurements.json.
 * @param labsJson - the content of labs.json.
 * @returns the compiled table; throws when a definition lacks a field it needs or a key repeats (naming it).
 */
export function parseMeasurementDefinitions(json: string, labsJson?: string): MeasurementTable {
  const doc = JSON.parse(json) as {
    writtenUnits: Record<string, string>;
    definitions: MeasurementDefinition[];
    ignorePhrases?: string[];
  };
  const labs = labsJson ? (JSON.parse(labsJson) as { definitions: MeasurementDefinition[] }).definitions : [];
  const definitions = [...doc.definitions, ...labs];
  const trie = createTrie<AliasEntry>();
  for (const phrase of doc.ignorePhrases ?? []) addPhrase(trie, phraseNorms(phrase), {});
  const keys = new Set<string>();
  for (const def of definitions) {
    if (!def.key || !def.loinc || !def.units || (Object.keys(def.units).length === 0 && def.kind !== 'sequence')) {
      throw new Error(`measurements.json: definition '${String(def.key)}' needs key, loinc and units`);
    }
    if (keys.has(def.key)) throw new Error(`measurements: definition '${def.key}' is defined twice`);
    keys.add(def.key);
    for (const alias of def.aliases) addPhrase(trie, phraseNorms(alias), { def });
    for (const alias of def.caseSensitiveAliases ?? []) addPhrase(trie, phraseNorms(alias), { def, caseSensitive: alias });
  }
  const written = Object.keys(doc.writtenUnits).sort((a, b) => b.length - a.length);
  const alternation = written.map((u) => escapeRegExp(u).replace(/ /g, '\\s*')).join('|');
  const unitRe = new RegExp(`[ \\t]*(${alternation})(?![A-Za-z\\d])`, 'iy');
  const writtenUnits = new Map(Object.entries(doc.writtenUnits).map(([k, v]) => [k.replace(/\s+/g, ''), v]));
  return { definitions, trie, unitRe, writtenUnits };
}

/** Words and marks allowed between an alias and its value ("BP was 120/80", "HR: 72", "glucose of 145"). */
const FILLER_RE =
  /(?:[ \t]*(?:[:=~]|-(?=\s)|\(|of|was|is|were|are|at|now|today|then|level|levels|value|reading|measured|remained|recorded|noted|initially|currently|approximately|approx\.?|about|around|only|in the|has been|had been|on admission|on arrival|this am|this morning|this pm|this evening|tonight|overnight|up to|down to|elevated at|increased to|decreased to|improved to|came back)(?![A-Za-z]))*[ \t]*/iy;
const VALUE_RE = /(<=|>=|<|>|\u2264|\u2265|less than|greater than|lower than|higher than|below|above)?[ \t]*(\d{1,3}(?:,\d{3})+(?!\d|\.\d)|\d+(?:\.\d+)?|\.\d+)/iy;
const BP_RE = /(\d{2,3})[ \t]*\/[ \t]*(\d{2,3})(?![\d/])/y;
const FEET_INCHES_RE =
  /(\d)[ \t]*(?:'|\u2019|ft|feet|foot)(?:[ \t]*(?:and[ \t]+)?(\d{1,2}(?:\.\d+)?)(?:[ \t]*(?:"|''|\u201d|inches|inch|in(?![A-Za-z])))?)?/iy;
const FLAG_RE = /[ \t]*(?:\([ \t]*)?(HH|LL|H|L|A)(?:[ \t]*\))?(?![A-Za-z\d])/y;
const FLAG_WORD_RE = /[ \t]*\(?(high|low|critical|abnormal|elevated)\)?(?![A-Za-z])/iy;
const COMPARATORS: Readonly<Record<string, FoundMeasurement['comparator']>> = {
  '<': '<', '>': '>', '<=': '<=', '>=': '>=', '\u2264': '<=', '\u2265': '>=',
  'less than': '<', 'greater than': '>', 'lower than': '<', 'higher than': '>', below: '<', above: '>',
};

/**
 * Finds measurements in the text.
 * @param text - the note text.
 * @param tokens - the note's tokens.
 * @param table - the compiled definitions.
 * @param skip - spans (section headers) where aliases are ignored, unless the header is just the alias as a label.
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
    const header = skipIndex < skip.length && skip[skipIndex].start <= t.start ? skip[skipIndex] : undefined;
    if (t.start > 0 && isAlnum(text.charCodeAt(t.start - 1))) continue;
    // "Micro-K 10 mEq", "DAS28-CRP 4.3": the alias is the tail of another name
    if (t.start > 1 && text[t.start - 1] === '-' && isAlnum(text.charCodeAt(t.start - 2))) continue;
    const m = longestAt(table.trie, tokens, i, Math.min(tokens.length, i + 6));
    if (!m) continue;
    const aliasEnd = tokens[m.endToken - 1].end;
    // an alias inside a section header counts only when it is the whole label ("WT: 223 lb", "CMV PCR: <35")
    if (header && (header.start !== t.start || !/^[ \t]*:?[ \t]*$/.test(text.slice(aliasEnd, header.end)))) continue;
    const raw = text.slice(t.start, aliasEnd);
    const entries = m.values.filter((v) => v.caseSensitive === undefined || v.caseSensitive === raw);
    // an alias several definitions share ("eos": a percentage or a count) reads as the first whose value fits
    const entry = entries.length > 1 ? pickEntry(entries, text, t.start, aliasEnd, table) : entries[0];
    if (!entry) continue;
    if (!entry.def) {
      consumedUntil = aliasEnd; // "potassium chloride 20 mEq" is a drug, not a potassium level
      i = m.endToken - 1;
      continue;
    }
    if (entry.def.kind === 'sequence') {
      const parts = readSequence(text, t.start, aliasEnd, entry.def, table);
      if (parts.length > 0) {
        if (header) parts[0] = { ...parts[0], span: { start: afterHeader(text, header, parts[0].span.end), end: parts[0].span.end } };
        found.push(...parts);
        consumedUntil = parts[parts.length - 1].span.end;
        i = m.endToken - 1;
      }
      continue;
    }
    if (entry.def.valueBefore) {
      const before = readValueBefore(text, t.start, aliasEnd, entry.def);
      if (before) {
        found.push(before);
        consumedUntil = aliasEnd;
        i = m.endToken - 1;
        continue;
      }
    }
    const single = aliasEnd - t.start === 1;
    const result = readValue(text, t.start, aliasEnd, entry.def, table, single);
    if (!result) continue;
    if ('reason' in result) {
      if (!single) rejected.push({ span: result.span, key: entry.def.key, reason: result.reason });
    } else if (header) {
      // the label belongs to the header, outside every sentence: the mention is the value that follows it
      found.push({ ...result, span: { start: afterHeader(text, header, result.span.end), end: result.span.end } });
    } else {
      found.push(result);
    }
    consumedUntil = 'reason' in result ? aliasEnd : result.span.end;
    i = m.endToken - 1;
  }
  const valueFirst = findValueFirstVitals(text, table, found, skip);
  if (valueFirst.length > 0) {
    found.push(...valueFirst);
    found.sort((a, b) => a.span.start - b.span.start);
  }
  return { found, rejected };
}

function pickEntry(entries: readonly AliasEntry[], text: string, aliasStart: number, aliasEnd: number, table: MeasurementTable): AliasEntry {
  for (const e of entries) {
    if (!e.def || e.def.kind !== 'single') return e;
    const r = readValue(text, aliasStart, aliasEnd, e.def, table, aliasEnd - aliasStart === 1);
    if (r && !('reason' in r)) return e;
  }
  return entries[0];
}

/** Where the text after a header starts (its first non-space character, at most `end`). */
function afterHeader(text: string, header: Span, end: number): number {
  let start = header.end;
  while (start < end && /\s/.test(text[start])) start++;
  return start;
}

/** "38 segs, 3 bands", "w/ 12% bands": a differential count written before its name. */
const VALUE_BEFORE_RE = /(?:^|[\s,;:(/])((?:<=|>=|<|>)?)[ \t]*(\d{1,3}(?:\.\d+)?)[ \t]*(%)?[ \t]*$/;

function readValueBefore(text: string, aliasStart: number, aliasEnd: number, def: MeasurementDefinition): FoundMeasurement | undefined {
  const window = text.slice(Math.max(0, aliasStart - 16), aliasStart);
  const m = VALUE_BEFORE_RE.exec(window);
  if (!m) return undefined;
  const value = Number(m[2]);
  const unit = def.defaultUnit;
  if (!unit || !inRange(value, def.units[unit])) return undefined;
  const start = aliasStart - window.length + window.lastIndexOf(m[2], window.length - (m[3] ? 1 : 0)) - (m[1] ? m[1].length : 0);
  return {
    key: def.key,
    span: { start: Math.max(0, start), end: aliasEnd },
    concept: toConcept(def.loinc, def.display),
    category: def.category,
    value,
    unit,
    ...(m[1] ? { comparator: COMPARATORS[m[1].toLowerCase()] } : {}),
  };
}

/** Separators between the values of a sequence ("ABG 7.31/48/82/24", "H/H 13 and 40"). */
const SEQUENCE_SEPARATOR_RE = /[ \t]*(?:\/|,|and(?![A-Za-z]))[ \t]*/y;
/** A time of day before an ABG's values ("ABG 0600: 7.31/48/82"). */
const CLOCK_RE = /[ \t]*(?:at[ \t]+)?\d{4}h?[ \t]*:?/y;

/**
 * A sequence of values for the definitions named in `parts` (an arterial blood gas pH/pCO2/pO2/HCO3, H/H). At
 * least two values, each plausible for its part; otherwise nothing.
 */
function readSequence(text: string, aliasStart: number, aliasEnd: number, def: MeasurementDefinition, table: MeasurementTable): FoundMeasurement[] {
  const parts = (def.parts ?? []).map((k) => table.definitions.find((d) => d.key === k));
  let p = aliasEnd;
  CLOCK_RE.lastIndex = p;
  if (CLOCK_RE.exec(text)) p = CLOCK_RE.lastIndex;
  FILLER_RE.lastIndex = p;
  FILLER_RE.exec(text);
  p = FILLER_RE.lastIndex;
  const out: FoundMeasurement[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    if (!part?.defaultUnit) break;
    if (k > 0) {
      SEQUENCE_SEPARATOR_RE.lastIndex = p;
      if (!SEQUENCE_SEPARATOR_RE.exec(text)) break;
      p = SEQUENCE_SEPARATOR_RE.lastIndex;
    }
    const v = /(\d+(?:\.\d+)?)(?![\d.])/y;
    v.lastIndex = p;
    const m = v.exec(text);
    if (!m) break;
    const value = Number(m[1]);
    if (!inRange(value, part.units[part.defaultUnit])) return [];
    out.push({
      key: part.key,
      span: { start: k === 0 ? aliasStart : p, end: v.lastIndex },
      concept: toConcept(part.loinc, part.display),
      category: part.category,
      value,
      unit: part.defaultUnit,
    });
    p = v.lastIndex;
  }
  return out.length >= 2 ? out : [];
}

/** "95% on room air", "98% RA", "96% O2 saturation": an oxygen saturation written before (or without) its name. */
const SPO2_FIRST_RE = /(?<![\d.\/])(\d{2,3})[ \t]*%[ \t]*(?:(?:on[ \t]+)?(?:room air|RA(?![A-Za-z]))|(?:O2|oxygen)[ \t]+sat(?:uration)?s?(?![A-Za-z]))/g;
/** "96 degrees Fahrenheit", "37.2 °C": a temperature with an explicit scale and no name. */
const TEMPERATURE_FIRST_RE = /(?<![\d.\/])(\d{2,3}(?:\.\d)?)[ \t]*(?:\u00b0|\u00ba|degrees?(?=[ \t]))[ \t]*(F|C|Fahrenheit|Celsius)(?![A-Za-z])/g;

function findValueFirstVitals(text: string, table: MeasurementTable, found: readonly FoundMeasurement[], skip: readonly Span[]): FoundMeasurement[] {
  const taken = [...found.map((f) => f.span), ...skip];
  const free = (start: number, end: number): boolean => !taken.some((s) => s.start < end && start < s.end);
  const out: FoundMeasurement[] = [];
  const add = (key: string, start: number, end: number, value: number, unit: string): void => {
    const def = table.definitions.find((d) => d.key === key);
    if (!def || !inRange(value, def.units[unit]) || !free(start, end)) return;
    out.push({ key, span: { start, end }, concept: toConcept(def.loinc, def.display), category: def.category, value, unit });
    taken.push({ start, end });
  };
  for (const m of text.matchAll(SPO2_FIRST_RE)) add('oxygen-saturation', m.index, m.index + m[0].length, Number(m[1]), '%');
  for (const m of text.matchAll(TEMPERATURE_FIRST_RE)) {
    const unit = m[2].toUpperCase().startsWith('F') ? '[degF]' : 'Cel';
    add('body-temperature', m.index, m.index + m[0].length, Number(m[1]), unit);
  }
  return out;
}

type ReadResult = FoundMeasurement | { readonly span: Span; readonly reason: RejectedMeasurement['reason'] };

/** A value as written after an alias: number, optional range end, comparator and UCUM unit. */
interface WrittenQuantity {
  readonly value: number;
  readonly valueHigh?: number;
  readonly comparator?: FoundMeasurement['comparator'];
  readonly unit?: string;
  readonly end: number;
}

/** "30-35", "20 to 25": the high end of a range. */
const RANGE_RE = /[ \t]*(?:-|\u2013|\u2014|to(?![A-Za-z]))[ \t]*(\d+(?:\.\d+)?)(?![\d/])/y;
/** "7/10": the denominator of a score. */
const OUT_OF_RE = /[ \t]*\/[ \t]*(\d{1,3})(?!\d|\.\d|\/)/y;
/** "Cr 1.8 <- 1.4": what follows is an earlier value (the first one is the most recent). */
const EARLIER_RE = /[ \t]*(?:<-{1,2}|\u2190)[ \t]*/y;
/** "lactate 3.4 -> 2.1", "pain 8/10 -> 4/10": what follows is a later value. */
const LATER_RE =
  /[ \t]*(?:-{1,2}>|\u2192|=>|,?[ \t]+(?:and[ \t]+)?(?:that[ \t]+|which[ \t]+)?(?:then[ \t]+|subsequently[ \t]+|later[ \t]+|now[ \t]+)?(?:dropped|fell|decreased|declined|rose|increased|improved|trended(?:[ \t]+(?:down|up))?|went(?:[ \t]+(?:down|up))?|came[ \t]+down|is[ \t]+now)[ \t]+(?:to[ \t]+)?(?=[<>\d.])|[ \t]+and[ \t]+(?=\d))[ \t]*/iy;
/** Words that make a censored value a threshold when they lead its clause. */
const THRESHOLD_RE =
  /\b(?:for|if|goal|target|keep|maintain|until|unless|when|parameters?|criteria|threshold|hold(?:ing)?|titrate|wean|transfuse|call|notify)\b/i;

/** Up to 40 characters before `at`, from the last sentence or clause break ("Labs for today: " ends at the colon). */
function clauseBefore(text: string, at: number): string {
  const window = text.slice(Math.max(0, at - 40), at);
  let cut = -1;
  for (const m of window.matchAll(/[.;:](?=\s)|\n/g)) cut = m.index;
  return window.slice(cut + 1);
}

/** A dose or a frequency after the number: a drug ("iron 325 mg daily", "tacrolimus 2 BID"), not a result. */
const DOSE_RE =
  /[ \t]*(?:ms|msec|mg|mcg|\u00b5g|ug|g|gm|grams?|units?|iu|tabs?|tablets?|caps?|capsules?|puffs?|drops?|bid|tid|qid|qd|qhs|daily|po|iv|sq|prn|q\d+h?)(?![A-Za-z])/iy;

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
  // "vit D3", "T4": a digit glued to the alias is part of a name, not a value
  if (p === aliasEnd && /[A-Za-z]/.test(text[aliasEnd - 1] ?? '') && /\d/.test(text[p] ?? '')) return undefined;
  if (def.kind === 'blood-pressure') return readBloodPressure(text, aliasStart, p, def, table);
  if (def.kind === 'height') {
    FEET_INCHES_RE.lastIndex = p;
    const fi = FEET_INCHES_RE.exec(text);
    if (fi) {
      const inches = Number(fi[1]) * 12 + (fi[2] ? Number(fi[2]) : 0);
      return finishSingle(text, aliasStart, def, { value: inches, unit: '[in_i]', end: FEET_INCHES_RE.lastIndex });
    }
  }
  let q = readQuantity(text, p, def, table);
  if (!q) return undefined;
  // "transfuse for Hgb <7", "wean to MAP >65", "until INR is greater than 1.7": a threshold, not a result
  if (q.comparator && THRESHOLD_RE.test(clauseBefore(text, aliasStart))) return undefined;
  // a series of the same analyte: keep the most recent value, consume the others (they have no time of their own)
  let end = q.end;
  let flag = readFlag(text, end);
  if (flag) end = flag.end;
  for (;;) {
    LATER_RE.lastIndex = end;
    if (LATER_RE.exec(text)) {
      const later = readQuantity(text, LATER_RE.lastIndex, def, table);
      if (later) {
        q = { ...later, unit: later.unit ?? q.unit };
        end = later.end;
        flag = readFlag(text, end);
        if (flag) end = flag.end;
        continue;
      }
    }
    EARLIER_RE.lastIndex = end;
    if (EARLIER_RE.exec(text)) {
      const earlier = readQuantity(text, EARLIER_RE.lastIndex, def, table);
      if (earlier) {
        end = earlier.end;
        const earlierFlag = readFlag(text, end);
        if (earlierFlag) end = earlierFlag.end;
        continue;
      }
    }
    break;
  }
  if (def.requireOutOf && !q.outOf) return undefined;
  return finishSingle(text, aliasStart, def, q, flag, end);
}

/** Reads one written value at `p`: comparator, number, range end, denominator and unit. */
function readQuantity(
  text: string,
  p: number,
  def: MeasurementDefinition,
  table: MeasurementTable
): (WrittenQuantity & { readonly outOf?: boolean }) | undefined {
  VALUE_RE.lastIndex = p;
  const v = VALUE_RE.exec(text);
  if (!v) return undefined;
  let valueEnd = VALUE_RE.lastIndex;
  const value = Number(v[2].replace(/,/g, ''));
  const comparator = v[1] ? COMPARATORS[v[1].toLowerCase()] : undefined;
  let valueHigh: number | undefined;
  let outOf = false;
  const readRange = (): void => {
    if (!def.allowRange || comparator || valueHigh !== undefined) return;
    RANGE_RE.lastIndex = valueEnd;
    const r = RANGE_RE.exec(text);
    if (r && Number(r[1]) > value) {
      valueHigh = Number(r[1]);
      valueEnd = RANGE_RE.lastIndex;
    }
  };
  readRange();
  if (!def.allowRange) {
    // "temperature 99 to 100", "HR 60-70s", "WBC 6 to 12": a span of values is no single result
    RANGE_RE.lastIndex = valueEnd;
    if (RANGE_RE.test(text)) return undefined;
  }
  if (def.outOf) {
    OUT_OF_RE.lastIndex = valueEnd;
    const o = OUT_OF_RE.exec(text);
    if (o && def.outOf.includes(Number(o[1]))) {
      outOf = true;
      valueEnd = OUT_OF_RE.lastIndex;
    }
  }
  if (text[valueEnd] === '/' && /\d/.test(text[valueEnd + 1] ?? '')) return undefined; // a date or a ratio
  if (text[valueEnd] === '+') return undefined; // an exam grade ("pulses 2+")
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
  if (unit === undefined) {
    DOSE_RE.lastIndex = valueEnd;
    if (DOSE_RE.test(text)) return undefined;
    // "R 2nd-3rd MCPs", "x3d": a letter glued to the number makes it no value
    if (end === valueEnd && /[A-Za-z]/.test(text[valueEnd] ?? '')) return undefined;
  }
  if (unit !== undefined && valueHigh === undefined) {
    // "EF 30%-35%"
    const before = valueEnd;
    valueEnd = end;
    readRange();
    if (valueHigh !== undefined) {
      end = valueEnd;
      table.unitRe.lastIndex = end;
      const u2 = table.unitRe.exec(text);
      if (u2 && table.writtenUnits.get(u2[1].toLowerCase().replace(/\s+/g, '')) === unit) end = table.unitRe.lastIndex;
    } else {
      valueEnd = before;
    }
  }
  return { value, ...(valueHigh !== undefined ? { valueHigh } : {}), ...(comparator ? { comparator } : {}), unit, end, outOf };
}

function finishSingle(
  text: string,
  aliasStart: number,
  def: MeasurementDefinition,
  q: WrittenQuantity,
  flagRead?: ReturnType<typeof readFlag>,
  spanEnd?: number
): ReadResult {
  const { value, valueHigh, comparator, end } = q;
  let unit = q.unit;
  if (!unit && def.countPerMicroliterAbove !== undefined && value >= def.countPerMicroliterAbove && def.units['/uL']) {
    unit = '/uL'; // "WBC 11,800", "platelets 152,000": cells per microliter, as written
  }
  unit ??= def.defaultUnit;
  if (!q.unit && def.inferUnits) {
    const inferred = def.inferUnits.find((u) => inRange(value, def.units[u]));
    if (inferred) unit = inferred;
    else if (!def.defaultUnit) return { span: { start: aliasStart, end }, reason: 'implausible-value' };
  }
  if (!unit) return { span: { start: aliasStart, end }, reason: 'missing-unit' };
  const range = def.units[unit];
  if (!range) return { span: { start: aliasStart, end }, reason: 'unknown-unit' };
  if (!inRange(value, range) && !(comparator && value === 0)) {
    return { span: { start: aliasStart, end }, reason: 'implausible-value' };
  }
  if (valueHigh !== undefined && !inRange(valueHigh, range)) return { span: { start: aliasStart, end }, reason: 'implausible-value' };
  const flag = flagRead ?? (spanEnd === undefined ? readFlag(text, end) : undefined);
  const stop = Math.max(spanEnd ?? end, flag ? flag.end : end);
  return {
    key: def.key,
    span: { start: aliasStart, end: stop },
    concept: toConcept(def.loincByUnit?.[unit] ?? def.loinc, def.display),
    category: def.category,
    value,
    ...(valueHigh !== undefined ? { valueHigh } : {}),
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
  const [sys, dia] = def.components ?? [];
  if (!sys || !dia) return undefined;
  const readPair = (at: number): { m: RegExpExecArray; start: number; end: number } | undefined => {
    BP_RE.lastIndex = at;
    const m = BP_RE.exec(text);
    if (!m) return undefined;
    let end = BP_RE.lastIndex;
    table.unitRe.lastIndex = end;
    const u = table.unitRe.exec(text);
    if (u && table.writtenUnits.get(u[1].toLowerCase().replace(/\s+/g, '')) === 'mm[Hg]') end = table.unitRe.lastIndex;
    return { m, start: at, end };
  };
  let pair = readPair(p);
  if (!pair) return undefined;
  let end = pair.end;
  // "BP 88/52 -> 104/60": the later reading; "BP 150/90 <- 170/100": the first
  for (;;) {
    LATER_RE.lastIndex = end;
    if (LATER_RE.exec(text)) {
      const later = readPair(LATER_RE.lastIndex);
      if (later) {
        pair = later;
        end = later.end;
        continue;
      }
    }
    EARLIER_RE.lastIndex = end;
    if (EARLIER_RE.exec(text)) {
      const earlier = readPair(EARLIER_RE.lastIndex);
      if (earlier) {
        end = earlier.end;
        continue;
      }
    }
    break;
  }
  const m = pair.m;
  const systolic = Number(m[1]);
  const diastolic = Number(m[2]);
  const span = { start: aliasStart, end };
  if (!inRange(systolic, sys.plausible) || !inRange(diastolic, dia.plausible)) return { span, reason: 'implausible-value' };
  if (systolic <= diastolic) return { span, reason: 'systolic-not-above-diastolic' };
  const sysStart = pair.start + m[0].indexOf(m[1]);
  const diaStart = pair.start + m[0].lastIndexOf(m[2]);
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
