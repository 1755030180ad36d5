/**
 * Medication sigs: strength/dose with UCUM units, route, frequency as a FHIR `Timing.repeat`, PRN and its reason,
 * and duration, read from the text right after a drug name (status cues are in `medication-status.ts`). Pure.
 *
 * `SigTiming.code` is only set to codes of the HL7 v3 GTSAbbreviation system (`BID`, `TID`, `QID`, `QD`, `QOD`,
 * `AM`, `PM`, `Q4H`, `Q6H`, `BED`, `WK`, `MO`, ...), so the FHIR mapping can use it as `Timing.code` unchanged:
 * "qhs" becomes `when: ['HS']` with code `BED`.
 */
import type { MedicationSig, Measure, RouteCode, SigTiming, Span } from './types.js';

type Element =
  | { readonly type: 'amount'; readonly measure: Measure; readonly count: boolean }
  | { readonly type: 'route'; readonly route: RouteCode }
  | { readonly type: 'timing'; readonly timing: SigTiming }
  | { readonly type: 'when'; readonly when: string }
  | { readonly type: 'prn'; readonly reason?: Span }
  | { readonly type: 'duration'; readonly duration: Measure }
  | { readonly type: 'then' }
  | { readonly type: 'skip' };

interface Rule {
  readonly re: RegExp;
  readonly build: (m: RegExpExecArray, start: number) => Element;
}

const NUM = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const WORD_NUMBERS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, half: 0.5, 'one-half': 0.5, 'one half': 0.5, '1/2': 0.5,
};

const MASS_UNITS: Readonly<Record<string, string>> = {
  mg: 'mg', mgs: 'mg', milligram: 'mg', milligrams: 'mg', mcg: 'ug', '\u00b5g': 'ug', ug: 'ug', microgram: 'ug',
  micrograms: 'ug', g: 'g', gm: 'g', gram: 'g', grams: 'g', ml: 'mL', mls: 'mL', cc: 'mL', l: 'L', liter: 'L',
  liters: 'L', unit: '[U]', units: '[U]', u: '[U]', iu: '[iU]', meq: 'meq', mmol: 'mmol', '%': '%',
  'mg/ml': 'mg/mL', 'mg/kg': 'mg/kg', 'mcg/hr': 'ug/h', 'mcg/h': 'ug/h', 'mg/hr': 'mg/h', 'units/hr': '[U]/h',
  'units/kg': '[U]/kg', 'mcg/kg/min': 'ug/kg/min',
};
const COUNT_UNITS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^tab/i, '{tbl}'], [/^cap/i, '{capsule}'], [/^pill/i, '{tbl}'], [/^puff|^inhalation/i, '{puff}'],
  [/^drop|^gtt/i, '[drp]'], [/^spray/i, '{spray}'], [/^patch/i, '{patch}'], [/^application/i, '{application}'],
  [/^suppositor/i, '{suppository}'], [/^vial/i, '{vial}'], [/^amp/i, '{ampule}'], [/^packet/i, '{packet}'],
  [/^lozenge|^troche/i, '{lozenge}'],
];
const ROUTES: ReadonlyArray<readonly [RegExp, RouteCode]> = [
  [/^(?:p\.?o\.?|by mouth|orally|oral|per os)$/i, 'oral'],
  [/^(?:i\.?v\.?|intravenous(?:ly)?|iv push|ivpb|iv piggyback)$/i, 'iv'],
  [/^(?:s\.?q\.?|s\.?c\.?|subq|sub-q|subcut|subcutaneous(?:ly)?)$/i, 'subcutaneous'],
  [/^(?:i\.?m\.?|intramuscular(?:ly)?)$/i, 'im'],
  [/^(?:inhaled|inhalation|inh|via inhaler|nebulized|nebs?|via nebulizer|by nebulizer)$/i, 'inhaled'],
  [/^(?:topical(?:ly)?|applied topically|to affected area|to the affected area)$/i, 'topical'],
  [/^(?:p\.?r\.?|per rectum|rectal(?:ly)?)$/i, 'rectal'],
  [/^(?:s\.?l\.?|sublingual(?:ly)?|under the tongue)$/i, 'sublingual'],
  [/^(?:transdermal(?:ly)?|intranasal(?:ly)?|nasal(?:ly)?|in each nostril|each nostril|ophthalmic|intrathecal(?:ly)?|per g-tube|per ng tube|via g-tube|per peg)$/i, 'other'],
];
const DAILY = { frequency: 1, period: 1, periodUnit: 'd' } as const;

function rule(pattern: string, build: Rule['build']): Rule {
  return { re: new RegExp(`(?:${pattern})(?![A-Za-z\\d])`, 'iy'), build };
}
const hourCode = (n: number): string | undefined => ([1, 2, 3, 4, 6, 8].includes(n) ? `Q${n}H` : undefined);
const unitOf = (u: string): SigTiming['periodUnit'] => {
  const s = u.toLowerCase();
  if (s.startsWith('min')) return 'min';
  if (s.startsWith('h')) return 'h';
  if (s.startsWith('d')) return 'd';
  if (s.startsWith('w')) return 'wk';
  if (s.startsWith('mo')) return 'mo';
  return 'h';
};
const durationUnit = (u: string): string => {
  const s = u.toLowerCase();
  return s.startsWith('w') ? 'wk' : s.startsWith('mo') ? 'mo' : s.startsWith('h') ? 'h' : 'd';
};

/** Sig elements, tried in order at each position; the first that matches wins. */
const RULES: readonly Rule[] = [
  rule(`q\\.?[ \\t]*${NUM}[ \\t]*(?:-|to)[ \\t]*${NUM}[ \\t]*(h|hr|hrs|hours?)\\.?`, (m) => ({
    type: 'timing',
    timing: { frequency: 1, period: Number(m[1]), periodMax: Number(m[2]), periodUnit: 'h' },
  })),
  rule(`every[ \\t]+${NUM}[ \\t]*(?:-|to)[ \\t]*${NUM}[ \\t]*(hours?|hrs?|h)`, (m) => ({
    type: 'timing',
    timing: { frequency: 1, period: Number(m[1]), periodMax: Number(m[2]), periodUnit: 'h' },
  })),
  rule(`q\\.?[ \\t]*${NUM}[ \\t]*(h|hr|hrs|hours?|min|mins|minutes|d|days?|wk|wks|weeks?)\\.?`, (m) => {
    const n = Number(m[1]);
    const periodUnit = unitOf(m[2]);
    const code = periodUnit === 'h' ? hourCode(n) : undefined;
    return { type: 'timing', timing: { frequency: 1, period: n, periodUnit, ...(code ? { code } : {}) } };
  }),
  rule(`every[ \\t]+(\\d+|one|two|three|four|six|eight|twelve)[ \\t]*(hours?|hrs?|h|minutes?|days?|weeks?|months?)`, (m) => {
    const words: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, six: 6, eight: 8, twelve: 12 };
    const n = words[m[1].toLowerCase()] ?? Number(m[1]);
    const periodUnit = unitOf(m[2]);
    const code = periodUnit === 'h' ? hourCode(n) : periodUnit === 'd' && n === 2 ? 'QOD' : undefined;
    return { type: 'timing', timing: { frequency: 1, period: n, periodUnit, ...(code ? { code } : {}) } };
  }),
  rule(`(\\d+)[ \\t]*(?:-|to)[ \\t]*(\\d+)[ \\t]*(?:times|x)[ \\t]*(?:a|per|/|each)?[ \\t]*(day|daily|d|week|wk)`, (m) => ({
    type: 'timing',
    timing: { frequency: Number(m[1]), frequencyMax: Number(m[2]), period: 1, periodUnit: unitOf(m[3]) === 'wk' ? 'wk' : 'd' },
  })),
  rule(`b\\.?i\\.?d\\.?|twice[ \\t]+(?:a[ \\t]+|per[ \\t]+|each[ \\t]+)?day|twice[ \\t]+daily|(?:two|2)[ \\t]+times[ \\t]+(?:a|per|each)[ \\t]+day|(?:two|2)[ \\t]+times[ \\t]+daily|2x[ \\t]*(?:/[ \\t]*|a[ \\t]+|per[ \\t]+)?(?:day|daily)`, () => ({
    type: 'timing', timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' },
  })),
  rule(`t\\.?i\\.?d\\.?|(?:three|3)[ \\t]+times[ \\t]+(?:a[ \\t]+|per[ \\t]+|each[ \\t]+)?(?:day|daily)|3x[ \\t]*(?:/[ \\t]*|a[ \\t]+|per[ \\t]+)?(?:day|daily)`, () => ({
    type: 'timing', timing: { frequency: 3, period: 1, periodUnit: 'd', code: 'TID' },
  })),
  rule(`q\\.?i\\.?d\\.?|(?:four|4)[ \\t]+times[ \\t]+(?:a[ \\t]+|per[ \\t]+|each[ \\t]+)?(?:day|daily)|4x[ \\t]*(?:/[ \\t]*|a[ \\t]+|per[ \\t]+)?(?:day|daily)`, () => ({
    type: 'timing', timing: { frequency: 4, period: 1, periodUnit: 'd', code: 'QID' },
  })),
  rule(`q\\.?[ \\t]?h\\.?[ \\t]?s\\.?|(?:every[ \\t]+night[ \\t]+|nightly[ \\t]+)?at[ \\t]+bedtime|h\\.s\\.|qbedtime`, () => ({
    type: 'timing', timing: { ...DAILY, when: ['HS'], code: 'BED' },
  })),
  rule(`q\\.?[ \\t]?a\\.?m\\.?|every[ \\t]+morning|each[ \\t]+morning|in[ \\t]+the[ \\t]+morning|daily[ \\t]+in[ \\t]+the[ \\t]+morning`, () => ({
    type: 'timing', timing: { ...DAILY, when: ['MORN'], code: 'AM' },
  })),
  rule(`q\\.?[ \\t]?p\\.?m\\.?|every[ \\t]+evening|each[ \\t]+evening|in[ \\t]+the[ \\t]+evening`, () => ({
    type: 'timing', timing: { ...DAILY, when: ['EVE'], code: 'PM' },
  })),
  rule(`nightly|every[ \\t]+night|at[ \\t]+night|q\\.?[ \\t]?night|qpm`, () => ({
    type: 'timing', timing: { ...DAILY, when: ['NIGHT'] },
  })),
  rule(`q\\.?o\\.?d\\.?|every[ \\t]+other[ \\t]+day|alternate[ \\t]+days`, () => ({
    type: 'timing', timing: { frequency: 1, period: 2, periodUnit: 'd', code: 'QOD' },
  })),
  rule(`daily|q\\.?d\\.?|q\\.?[ \\t]?day|once[ \\t]+(?:a[ \\t]+|per[ \\t]+)?day|once[ \\t]+daily|every[ \\t]+day|each[ \\t]+day|per[ \\t]+day|a[ \\t]+day|1x[ \\t]*(?:/[ \\t]*|a[ \\t]+|per[ \\t]+)?(?:day|daily)|o\\.d\\.|qdaily`, () => ({
    type: 'timing', timing: { ...DAILY, code: 'QD' },
  })),
  rule(`twice[ \\t]+(?:a|per|each)[ \\t]+week|biweekly|(?:two|2)[ \\t]+times[ \\t]+(?:a|per)[ \\t]+week`, () => ({
    type: 'timing', timing: { frequency: 2, period: 1, periodUnit: 'wk' },
  })),
  rule(`(?:three|3)[ \\t]+times[ \\t]+(?:a|per)[ \\t]+week`, () => ({
    type: 'timing', timing: { frequency: 3, period: 1, periodUnit: 'wk' },
  })),
  rule(`weekly|once[ \\t]+(?:a[ \\t]+|per[ \\t]+)?week|every[ \\t]+week|q\\.?[ \\t]?week|q\\.?[ \\t]?wk|qw`, () => ({
    type: 'timing', timing: { frequency: 1, period: 1, periodUnit: 'wk', code: 'WK' },
  })),
  rule(`monthly|once[ \\t]+(?:a[ \\t]+|per[ \\t]+)?month|every[ \\t]+month|q\\.?[ \\t]?month|q\\.?[ \\t]?mo`, () => ({
    type: 'timing', timing: { frequency: 1, period: 1, periodUnit: 'mo', code: 'MO' },
  })),
  rule(`with[ \\t]+meals|with[ \\t]+food|a\\.c\\.|before[ \\t]+meals|p\\.c\\.|after[ \\t]+meals`, (m) => {
    const s = m[0].toLowerCase();
    return { type: 'when', when: s.startsWith('before') || s.startsWith('a.c') ? 'AC' : s.startsWith('after') || s.startsWith('p.c') ? 'PC' : 'C' };
  }),
  rule(`(?:for|x|\u00d7|times)[ \\t]*(\\d+)[ \\t]*(days?|d|weeks?|wks?|months?|mos?|hours?|hrs?)`, (m) => ({
    type: 'duration', duration: { value: Number(m[1]), unit: durationUnit(m[2]) },
  })),
  rule(`p\\.?r\\.?n\\.?|as[ \\t]+needed|as[ \\t]+necessary|when[ \\t]+needed|if[ \\t]+needed|on[ \\t]+demand`, () => ({ type: 'prn' })),
  rule(`${NUM}[ \\t]*(?:-|to)?[ \\t]*(?:${NUM})?[ \\t]*(mg/ml|mg/kg|mcg/kg/min|mcg/hr|mcg/h|mg/hr|units/hr|units/kg|mgs?|milligrams?|mcg|\u00b5g|ug|micrograms?|grams?|gm|g|mls?|cc|liters?|l|units?|u|iu|meq|mmol|%)`, (m) => ({
    type: 'amount',
    measure: { value: Number(m[1]), unit: MASS_UNITS[m[3].toLowerCase()] ?? m[3] },
    count: false,
  })),
  rule(`(\\d+(?:\\.\\d+)?|one|two|three|four|five|six|half|one-half|one half|1/2)[ \\t]*(?:(?:-|to)[ \\t]*\\d+[ \\t]*)?(tabs?|tablets?|caps?|capsules?|pills?|puffs?|inhalations?|drops?|gtts?|sprays?|patch(?:es)?|applications?|suppositor(?:y|ies)|vials?|ampules?|amps?|packets?|lozenges?|troches?)`, (m) => {
    const n = WORD_NUMBERS[m[1].toLowerCase()] ?? Number(m[1]);
    const unit = COUNT_UNITS.find(([re]) => re.test(m[2]))?.[1] ?? '{unit}';
    return { type: 'amount', measure: { value: n, unit }, count: true };
  }),
  // A taper or sequence: what follows is the next phase (its own dose and frequency), not more of this one.
  rule(`then|followed[ \\t]+by|and[ \\t]+then`, () => ({ type: 'then' })),
  rule(ROUTE_PATTERN(), (m) => ({ type: 'route', route: ROUTES.find(([re]) => re.test(m[0].replace(/\s+/g, ' ')))?.[1] ?? 'other' })),
  rule(`(?:er|xr|sr|xl|cr|la|dr|ir|ec|odt|hcl|hctz|tablets?|tabs?|capsules?|caps?|solution|suspension|injection|inj|cream|ointment|gel|lotion|inhaler|nebulizer|patch|elixir|syrup|liquid|oral|take|takes|taking|give|apply|inject|instill|inhale|use|then|and|of|by|at|dose|doses|sig|dispense[ \\t]*#?[ \\t]*\\d+|disp[ \\t]*#?[ \\t]*\\d+|#[ \\t]*\\d+|refills?[ \\t]*:?[ \\t]*\\d+|\\(?[ \\t]*[A-Z][A-Za-z-]*[ \\t]*\\))`, () => ({ type: 'skip' })),
];

function ROUTE_PATTERN(): string {
  return [
    'p\\.o\\.', 'po', 'by[ \\t]+mouth', 'orally', 'per[ \\t]+os', 'i\\.v\\.', 'iv[ \\t]+push', 'ivpb', 'iv[ \\t]+piggyback', 'iv',
    'intravenous(?:ly)?', 's\\.q\\.', 'sq', 's\\.c\\.', 'sc', 'subq', 'sub-q', 'subcut', 'subcutaneous(?:ly)?', 'i\\.m\\.', 'im',
    'intramuscular(?:ly)?', 'inhaled', 'inhalation', 'inh', 'via[ \\t]+inhaler', 'nebulized', 'nebs?', 'via[ \\t]+nebulizer',
    'by[ \\t]+nebulizer', 'topical(?:ly)?', 'applied[ \\t]+topically', 'to[ \\t]+(?:the[ \\t]+)?affected[ \\t]+area', 'p\\.r\\.',
    'pr', 'per[ \\t]+rectum', 'rectal(?:ly)?', 's\\.l\\.', 'sl', 'sublingual(?:ly)?', 'under[ \\t]+the[ \\t]+tongue',
    'transdermal(?:ly)?', 'intranasal(?:ly)?', 'nasal(?:ly)?', '(?:in[ \\t]+)?each[ \\t]+nostril', 'ophthalmic',
    'intrathecal(?:ly)?', 'per[ \\t]+g-tube', 'per[ \\t]+ng[ \\t]+tube', 'via[ \\t]+g-tube', 'per[ \\t]+peg',
  ].join('|');
}

const SEPARATOR_RE = /[ \t\r\n,()\-:/]+/y;
const PRN_REASON_RE = /[ \t]*(?:for|of|if)?[ \t]*((?:[A-Za-z][A-Za-z'/-]*)(?:[ \t]+(?!(?:and|or|then|every|q\d|daily|bid|tid|qid|x|for)\b)[A-Za-z][A-Za-z'/-]*){0,3})/y;
const STOP_WORDS_FOR_REASON = /^(?:every|q\d|daily|bid|tid|qid|po|iv|x)$/i;

/**
 * Reads a sig starting at `start` (just after the drug name) and ending before `limit`.
 * @param text - the note text.
 * @param start - where to start reading.
 * @param limit - where the sig must stop (next drug, sentence end).
 * @returns the sig; `span` covers what was read for its first phase, absent when nothing was; a later phase
 *   ("… then 20 mg daily") is in `then`, with its own span.
 */
export function parseSig(text: string, start: number, limit: number): MedicationSig {
  let p = start;
  let sigStart = -1;
  let sigEnd = -1;
  const amounts: { measure: Measure; count: boolean }[] = [];
  let route: RouteCode | undefined;
  let timing: SigTiming | undefined;
  const when: string[] = [];
  let asNeeded = false;
  let asNeededFor: Span | undefined;
  let duration: Measure | undefined;
  while (p < limit) {
    SEPARATOR_RE.lastIndex = p;
    if (SEPARATOR_RE.exec(text) && SEPARATOR_RE.lastIndex <= limit) p = SEPARATOR_RE.lastIndex;
    if (p >= limit) break;
    let matched: { el: Element; end: number } | undefined;
    for (const r of RULES) {
      r.re.lastIndex = p;
      const m = r.re.exec(text);
      if (m && r.re.lastIndex <= limit && m[0].length > 0) {
        matched = { el: r.build(m, p), end: r.re.lastIndex };
        break;
      }
    }
    if (!matched) break;
    const { el } = matched;
    let end = matched.end;
    if (el.type === 'then') {
      // Only a phase that already says something (a dose or a frequency) ends here; "then" alone is a filler word.
      if (amounts.length > 0 || timing !== undefined || when.length > 0) {
        const next = parseSig(text, end, limit);
        if (next.span && (next.dose || next.strength || next.timing)) {
          return { ...buildSig(), then: next };
        }
      }
      p = end;
      continue;
    }
    if (el.type === 'amount') amounts.push(el);
    else if (el.type === 'route') route ??= el.route;
    else if (el.type === 'timing') timing = mergeTiming(timing, el.timing);
    else if (el.type === 'when') when.push(el.when);
    else if (el.type === 'duration') duration ??= el.duration;
    else if (el.type === 'prn') {
      asNeeded = true;
      const reason = readPrnReason(text, end, limit);
      if (reason) {
        asNeededFor = reason;
        end = reason.end;
      }
    }
    if (el.type !== 'skip' || sigStart >= 0) {
      if (sigStart < 0) sigStart = p;
      sigEnd = end;
    }
    p = end;
  }
  return buildSig();

  function buildSig(): MedicationSig {
    const count = amounts.find((a) => a.count);
    const mass = amounts.find((a) => !a.count);
    const finalTiming = when.length > 0 ? { ...(timing ?? {}), when: [...(timing?.when ?? []), ...when] } : timing;
    return {
      ...(sigStart >= 0 ? { span: { start: sigStart, end: sigEnd } } : {}),
      ...(count && mass ? { strength: mass.measure, dose: count.measure } : {}),
      ...(!count && mass ? { dose: mass.measure } : {}),
      ...(count && !mass ? { dose: count.measure } : {}),
      ...(route ? { route } : {}),
      ...(finalTiming ? { timing: finalTiming } : {}),
      ...(asNeeded ? { asNeeded } : {}),
      ...(asNeededFor ? { asNeededFor } : {}),
      ...(duration ? { duration } : {}),
    };
  }
}

/** Merges a second frequency into the first; `when` only when there is one (never an empty array). */
function mergeTiming(a: SigTiming | undefined, b: SigTiming): SigTiming {
  if (!a) return b;
  const when = [...(a.when ?? []), ...(b.when ?? [])].filter((w, i, all) => all.indexOf(w) === i);
  const { when: _a, ...restA } = a;
  const { when: _b, ...restB } = b;
  return { ...restA, ...restB, ...(when.length > 0 ? { when } : {}) };
}

function readPrnReason(text: string, pos: number, limit: number): Span | undefined {
  PRN_REASON_RE.lastIndex = pos;
  const m = PRN_REASON_RE.exec(text);
  if (!m || !m[1] || PRN_REASON_RE.lastIndex > limit) return undefined;
  const first = m[1].split(/[ \t]+/)[0];
  if (STOP_WORDS_FOR_REASON.test(first)) return undefined;
  const start = PRN_REASON_RE.lastIndex - m[1].length;
  return { start, end: PRN_REASON_RE.lastIndex };
}

/**
 * The last phase of a sig (itself when it has no `then`).
 * @param sig - the sig.
 * @returns its last phase.
 */
export function lastPhase(sig: MedicationSig): MedicationSig {
  let phase = sig;
  while (phase.then) phase = phase.then;
  return phase;
}
