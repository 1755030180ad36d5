/**
 * The match rules of GUIDELINES.md ("Scoring"), one predicate per category, and the one-to-one assignment of
 * written items to gold entries. Pure.
 */
import type { GoldAllergy, GoldCondition, GoldMedication, GoldObservation, GoldProcedure } from './notes-gold.js';
import { normalizeIcd, type WrittenItem } from './notes-written.js';

/** Tolerance of an observation value: 1 % of the gold value. */
export const VALUE_TOLERANCE = 0.01;

const intersects = (a: readonly string[], b: readonly string[]): boolean => a.some((x) => b.includes(x));

/** Strict: any gold ICD-10-CM or SNOMED CT code. */
export function conditionMatchesStrict(g: GoldCondition, w: WrittenItem): boolean {
  return intersects(g.icd10cm.map(normalizeIcd), w.icd10cm) || intersects(g.snomed, w.snomed);
}

/** Lenient: strict, or the same 3-character ICD-10-CM category, or the same text when the gold has no code. */
export function conditionMatchesLenient(g: GoldCondition, w: WrittenItem): boolean {
  if (conditionMatchesStrict(g, w)) return true;
  const categories = new Set(w.icd10cm.map((c) => c.slice(0, 3)));
  if (g.icd10cm.some((c) => categories.has(normalizeIcd(c).slice(0, 3)))) return true;
  return g.icd10cm.length === 0 && g.snomed.length === 0 && w.names.some((n) => normalizeName(n) === normalizeName(g.text));
}

/**
 * A family entry: a FamilyMemberHistory condition with a gold code (or, when the gold has none, its text) about
 * the same relative ("grandmother" stands for "maternal grandmother"; "family member" only for itself).
 */
export function familyMatches(g: GoldCondition, w: WrittenItem): boolean {
  if (w.resourceType !== 'FamilyMemberHistory') return false;
  const codeOk =
    conditionMatchesStrict(g, w) ||
    (g.icd10cm.length === 0 && g.snomed.length === 0 && w.names.some((n) => normalizeName(n) === normalizeName(g.text)));
  return codeOk && relativeMatches(g.relative ?? 'family member', w.relative ?? '');
}

/** Same relative: equal, or the written one is the gold one without its side ("grandmother" for "maternal grandmother"). */
export function relativeMatches(gold: string, written: string): boolean {
  const g = normalizeName(gold);
  const w = normalizeName(written);
  if (w === '') return false;
  return g === w || (g.endsWith(` ${w}`) && /^(maternal|paternal)\b/.test(g));
}

/** A Procedure with a gold SNOMED CT code (its text when the gold has no code), or a Condition with a gold Z-code. */
export function procedureMatches(g: GoldProcedure, w: WrittenItem): boolean {
  if (w.resourceType === 'Condition') return intersects(g.icd10cm.map(normalizeIcd), w.icd10cm);
  if (w.resourceType !== 'Procedure') return false;
  if (intersects(g.snomed, w.snomed)) return true;
  return g.snomed.length === 0 && g.icd10cm.length === 0 && w.names.some((n) => normalizeName(n) === normalizeName(g.text));
}

/** Any gold RxNorm code, or the ingredient name. */
export function medicationMatches(g: GoldMedication, w: WrittenItem): boolean {
  return intersects(g.rxnorm, w.rxnorm) || namesMatch(g.text, w.names);
}

/** Any gold RxNorm (or SNOMED CT) code, or the substance name. */
export function allergyMatches(g: GoldAllergy, w: WrittenItem): boolean {
  return intersects(g.rxnorm, w.rxnorm) || intersects(g.snomed, w.snomed) || namesMatch(g.text, w.names);
}

/**
 * LOINC code and value: within 1 % (after converting between units of one dimension: kg/lb, cm/in/m, Cel/degF,
 * g/dL/mg/dL/g/L, mmol/L/mEq/L, cells per µL and 10*3/µL…), within `value`…`value_high` for a range, the same
 * comparator for a censored value. `unit: null` matches on code and value alone; a string value (optional
 * entries only) on code alone.
 */
export function observationMatches(g: GoldObservation, w: WrittenItem): boolean {
  if (!intersects(g.loinc, w.loinc)) return false;
  if (typeof g.value === 'string') return true;
  if (w.value === undefined) return false;
  if ((g.comparator ?? '') !== (w.comparator ?? '')) return false;
  const v = g.unit && w.unit ? convertUnit(w.value, w.unit, g.unit) : w.value;
  if (g.valueHigh !== undefined) {
    const lo = Math.min(g.value, g.valueHigh);
    const hi = Math.max(g.value, g.valueHigh);
    return v >= lo - VALUE_TOLERANCE * Math.abs(lo) - 1e-9 && v <= hi + VALUE_TOLERANCE * Math.abs(hi) + 1e-9;
  }
  return Math.abs(v - g.value) <= VALUE_TOLERANCE * Math.abs(g.value) + 1e-9;
}

/** Units by dimension with their factor to the dimension's base unit. */
const UNIT_FACTORS: Readonly<Record<string, readonly [string, number]>> = {
  kg: ['mass', 1],
  g: ['mass', 1e-3],
  mg: ['mass', 1e-6],
  '[lb_av]': ['mass', 0.45359237],
  lb: ['mass', 0.45359237],
  '[oz_av]': ['mass', 0.028349523125],
  m: ['length', 1],
  cm: ['length', 0.01],
  mm: ['length', 0.001],
  '[in_i]': ['length', 0.0254],
  '[ft_i]': ['length', 0.3048],
  'g/L': ['mass-concentration', 1],
  'g/dL': ['mass-concentration', 10],
  'mg/dL': ['mass-concentration', 0.01],
  'mg/L': ['mass-concentration', 1e-3],
  'ug/mL': ['mass-concentration', 1e-3],
  'ug/dL': ['mass-concentration', 1e-5],
  'ug/L': ['mass-concentration', 1e-6],
  'ng/mL': ['mass-concentration', 1e-6],
  'ng/dL': ['mass-concentration', 1e-8],
  'pg/mL': ['mass-concentration', 1e-9],
  'mmol/L': ['substance-concentration', 1],
  'meq/L': ['substance-concentration', 1],
  'mEq/L': ['substance-concentration', 1],
  'umol/L': ['substance-concentration', 1e-3],
  'nmol/L': ['substance-concentration', 1e-6],
  'pmol/L': ['substance-concentration', 1e-9],
  '/uL': ['number-concentration', 1],
  '/mm3': ['number-concentration', 1],
  '10*3/uL': ['number-concentration', 1e3],
  '10*3/mm3': ['number-concentration', 1e3],
  '10*9/L': ['number-concentration', 1e3],
  '10*6/uL': ['number-concentration', 1e6],
  '10*12/L': ['number-concentration', 1e6],
  L: ['volume', 1],
  dL: ['volume', 0.1],
  mL: ['volume', 1e-3],
  '/min': ['rate', 1],
  '{beats}/min': ['rate', 1],
  '{breaths}/min': ['rate', 1],
  '/h': ['rate', 1 / 60],
  s: ['time', 1],
  min: ['time', 60],
  h: ['time', 3600],
};

/**
 * Converts a value between units of one dimension; any other pair (unknown units, different dimensions) leaves the
 * value as it is, so a unit spelled differently ("mmHg" for "mm[Hg]") still compares by value.
 * @param value - the written value.
 * @param from - its unit.
 * @param to - the gold unit.
 * @returns the value in the gold unit.
 */
export function convertUnit(value: number, from: string, to: string): number {
  if (from === to) return value;
  const temp = (u: string): 'C' | 'F' | undefined => (u === 'Cel' || u === '°C' ? 'C' : u === '[degF]' || u === '°F' ? 'F' : undefined);
  const tf = temp(from);
  const tt = temp(to);
  if (tf && tt) return tf === tt ? value : tf === 'C' ? (value * 9) / 5 + 32 : ((value - 32) * 5) / 9;
  const a = UNIT_FACTORS[from];
  const b = UNIT_FACTORS[to];
  if (!a || !b || a[0] !== b[0]) return value;
  return (value * a[1]) / b[1];
}

/**
 * Lower case, punctuation to spaces, one space between words.
 * @param s - a name.
 * @returns the normalized name.
 */
export function normalizeName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * Name match of a drug or substance: the gold name (or its parenthesised alternative, "vitamin D3
 * (cholecalciferol)") equals a written name, or one holds the other as whole words ("metformin" in "metformin
 * hydrochloride 500 MG Oral Tablet").
 */
export function namesMatch(goldText: string, writtenNames: readonly string[]): boolean {
  const golds = new Set<string>([normalizeName(goldText), normalizeName(goldText.replace(/\([^)]*\)/g, ' '))]);
  for (const m of goldText.matchAll(/\(([^)]*)\)/g)) golds.add(normalizeName(m[1]));
  golds.delete('');
  const holds = (outer: string, inner: string): boolean => ` ${outer} `.includes(` ${inner} `);
  for (const raw of writtenNames) {
    const w = normalizeName(raw);
    if (w === '') continue;
    for (const g of golds) if (g === w || holds(w, g) || (w.length >= 4 && holds(g, w))) return true;
  }
  return false;
}

/**
 * One-to-one assignment of written items to gold entries (maximum bipartite matching, Kuhn's algorithm). Each gold
 * entry tries its preferred candidates first (e.g. the one with the right assertion).
 * @param gold - the gold entries to match.
 * @param written - the written items.
 * @param available - which written items may still be used.
 * @param matches - the match predicate.
 * @param preferred - optional: candidates for which this holds are tried first.
 * @returns for each gold entry, the index of its written item, or -1.
 */
export function assignMatches<G>(
  gold: readonly G[],
  written: readonly WrittenItem[],
  available: ReadonlySet<number>,
  matches: (g: G, w: WrittenItem) => boolean,
  preferred?: (g: G, w: WrittenItem) => boolean
): number[] {
  const candidates = gold.map((g) => {
    const list = [...available].sort((a, b) => a - b).filter((i) => matches(g, written[i]));
    return preferred ? [...list.filter((i) => preferred(g, written[i])), ...list.filter((i) => !preferred(g, written[i]))] : list;
  });
  const ownerOf = new Map<number, number>();
  const goldOf: number[] = gold.map(() => -1);
  const tryAssign = (gi: number, seen: Set<number>): boolean => {
    for (const wi of candidates[gi]) {
      if (seen.has(wi)) continue;
      seen.add(wi);
      const owner = ownerOf.get(wi);
      if (owner === undefined || tryAssign(owner, seen)) {
        ownerOf.set(wi, gi);
        goldOf[gi] = wi;
        return true;
      }
    }
    return false;
  };
  for (let gi = 0; gi < gold.length; gi++) tryAssign(gi, new Set());
  return goldOf;
}
