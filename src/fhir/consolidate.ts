/**
 * Consolidation: the stage between mentions and resources that makes one finding per concept per note, with the
 * note's final assertion (problems) or status (medications). Pure; the rules are in README.md ("One finding per
 * concept per note").
 *
 * - Problems about the patient (affirmed, negated, possible, historical; hypothetical ones are never written and
 *   family ones are the relatives'): all mentions of a concept take one assertion — affirmed when a concluding
 *   section (assessment, impression, assessment and plan) affirms it; negated when the last concluding mention
 *   denies it ("PE ruled out"); else affirmed when any mention affirms it (a denial or a "likely" elsewhere never
 *   flips an affirmed finding); else the last concluding mention's; else historical when any mention is
 *   historical; else the last of possible/negated (a later "no PE on CTA" concludes an earlier "r/o PE").
 *   A general concept and a more specific one of the same ICD-10-CM category ("diabetes mellitus", "type 2 diabetes
 *   mellitus") are one finding, coded with the specific one.
 * - A chronic disease the note places in the past (a past medical history list, "history of", "h/o") is present
 *   unless the sentence says it resolved: historical only for episodic conditions (CHRONIC rule below) or with a
 *   resolution cue.
 * - Medications: all mentions of a drug take the status of the last mention whose text states one (a cue word, a
 *   negation, a discharge list: a drug in the list and held in the plan is on-hold, a drug "held on admission and
 *   now discontinued" stays stopped when the pre-admission list follows), else of the last one with a default
 *   status; only the last stated dose is kept when the dose changed.
 *
 * Mentions keep their spans (every span stays a derivation-reference); only assertion, status, concept and sig
 * change, so the finding keys of the mapping (`Condition|<concept>|<assertion>`) stay deterministic.
 */
import type { Assertion, MedicationMention, Mention, ProblemMention, Sentence, SectionKind } from '../nlp/types.js';
import type { Concept } from '../terminology/types.js';
import { ICD10CM } from '../terminology/systems.js';
import { EPISODIC_ICD10CM_PREFIXES, RESOLUTION_CUE_RE } from './consolidate-lexicon.js';
import { medicationStatus } from './build-context.js';

/** Sections whose statements conclude the note. */
const CONCLUDING_SECTIONS: ReadonlySet<SectionKind | undefined> = new Set<SectionKind | undefined>(['assessment', 'assessment-and-plan', 'impression']);

const WRITTEN_PROBLEM_ASSERTIONS: ReadonlySet<Assertion> = new Set<Assertion>(['affirmed', 'negated', 'possible', 'historical']);

/**
 * Consolidates a note's mentions.
 * @param text - the note text.
 * @param mentions - the pipeline's mentions, sorted by start.
 * @param sentences - the note's sentences (for resolution cues).
 * @returns the mentions with consolidated assertion, status, concept and sig (same order, same spans).
 */
export function consolidateMentions(text: string, mentions: readonly Mention[], sentences: readonly Sentence[]): Mention[] {
  const out = [...mentions];
  const isPatient = (m: Mention): boolean => (m.context?.experiencer ?? (m.assertion === 'family' ? 'family' : 'patient')) === 'patient';

  // Problems: general → specific, then one assertion per concept.
  const problems = out.flatMap((m, i) => (m.kind === 'problem' && isPatient(m) && WRITTEN_PROBLEM_ASSERTIONS.has(m.assertion) ? [i] : []));
  const specific = moreSpecificConcepts(problems.map((i) => out[i].concept));
  for (const i of problems) {
    const target = out[i].concept ? specific.get(out[i].concept!.id) : undefined;
    if (target) out[i] = { ...out[i], concept: target } as ProblemMention;
  }
  for (const group of groupBy(problems, (i) => keyOf(text, out[i]))) {
    const final = finalAssertion(group.map((i) => out[i]), text, sentences);
    for (const i of group) if (out[i].assertion !== final) out[i] = { ...out[i], assertion: final } as ProblemMention;
  }

  // Medications: one status (and the latest dose) per drug.
  const meds = out.flatMap((m, i) => (m.kind === 'medication' && isPatient(m) && m.assertion !== 'hypothetical' ? [i] : []));
  for (const group of groupBy(meds, (i) => keyOf(text, out[i]))) {
    const list = group.map((i) => out[i] as MedicationMention);
    // the last stated status ("held for AKI"), else the last default one (a list, a plan, a dose alone)
    const reversed = [...list].reverse();
    const stated =
      reversed.find((m) => m.statusStated === true && medicationStatus(m) !== 'unknown') ?? reversed.find((m) => medicationStatus(m) !== 'unknown');
    const withDose = [...list].reverse().find((m) => doseOf(m) !== undefined);
    group.forEach((i, k) => {
      let m = list[k];
      if (stated && medicationStatus(m) !== medicationStatus(stated)) m = { ...m, assertion: stated.assertion, status: stated.status };
      const dose = doseOf(m);
      if (withDose && dose !== undefined && dose !== doseOf(withDose)) m = { ...m, sig: {} };
      out[i] = m;
    });
  }
  return out;
}

function finalAssertion(group: readonly Mention[], text: string, sentences: readonly Sentence[]): Assertion {
  const concluding = group.filter((m) => CONCLUDING_SECTIONS.has(m.section));
  let final: Assertion;
  const affirmedAnywhere = group.some((m) => m.assertion === 'affirmed');
  const last = concluding[concluding.length - 1];
  if (last && (concluding.some((m) => m.assertion === 'affirmed') || last.assertion === 'negated')) {
    final = concluding.some((m) => m.assertion === 'affirmed') ? 'affirmed' : 'negated';
  } else if (affirmedAnywhere) final = 'affirmed';
  else if (last) final = last.assertion;
  else if (group.some((m) => m.assertion === 'historical')) final = 'historical';
  else final = group[group.length - 1].assertion;
  if (final === 'historical' && isChronic(group[0].concept)) {
    const resolved = group.some((m) => m.assertion === 'historical' && RESOLUTION_CUE_RE.test(clauseText(text, sentences, m)));
    if (!resolved) return 'affirmed';
  }
  return final;
}

/**
 * A chronic condition: coded in ICD-10-CM, and none of its codes is in an episodic category (an acute event, an
 * infection, an injury, a symptom) — see consolidate-lexicon.ts.
 * @param concept - the concept.
 * @returns whether a past mention of it still describes the patient now.
 */
export function isChronic(concept: Concept | undefined): boolean {
  const icd = concept?.codings.filter((c) => c.system === ICD10CM).map((c) => c.code.replace('.', '').toUpperCase()) ?? [];
  return icd.length > 0 && !icd.some((code) => EPISODIC_ICD10CM_PREFIXES.some((p) => code.startsWith(p)));
}

/**
 * For each concept that is a more general form of another concept in the same note (its display's words are a
 * proper subset of the other's, and both share an ICD-10-CM 3-character category), the more specific concept.
 */
function moreSpecificConcepts(concepts: readonly (Concept | undefined)[]): Map<string, Concept> {
  const unique = new Map<string, Concept>();
  for (const c of concepts) if (c) unique.set(c.id, c);
  const list = [...unique.values()];
  const out = new Map<string, Concept>();
  for (const general of list) {
    const gw = wordsOf(general.display);
    const gc = categoriesOf(general);
    if (gw.size === 0 || gc.size === 0) continue;
    let best: Concept | undefined;
    for (const other of list) {
      // "nausea and vomiting" is two findings together, not a more specific "vomiting"
      if (other === general || /\b(?:and|or)\b|\//i.test(other.display)) continue;
      const ow = wordsOf(other.display);
      if (ow.size <= gw.size || ![...gw].every((w) => ow.has(w))) continue;
      if (![...categoriesOf(other)].some((c) => gc.has(c))) continue;
      if (!best || ow.size > wordsOf(best.display).size || (ow.size === wordsOf(best.display).size && other.id < best.id)) best = other;
    }
    if (best) out.set(general.id, best);
  }
  return out;
}

const IGNORED_WORDS: ReadonlySet<string> = new Set(['disorder', 'disease', 'finding', 'unspecified', 'of', 'the', 'nos']);

function wordsOf(display: string): Set<string> {
  return new Set(
    display
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== '' && !IGNORED_WORDS.has(w))
  );
}

function categoriesOf(concept: Concept): Set<string> {
  return new Set(concept.codings.filter((c) => c.system === ICD10CM).map((c) => c.code.slice(0, 3).toUpperCase()));
}

function doseOf(m: MedicationMention): string | undefined {
  const d = m.sig.dose ?? m.sig.strength;
  return d ? `${d.value} ${d.unit}` : undefined;
}

/**
 * The list item or clause of a mention's sentence ("PMH: HTN, HLD, former smoker": "HTN" alone), plus the next one
 * when it only says the condition resolved ("asthma, resolved in childhood").
 */
function clauseText(text: string, sentences: readonly Sentence[], m: Mention): string {
  const s = sentences[m.sentence] ?? { start: Math.max(0, m.span.start - 80), end: Math.min(text.length, m.span.end + 80) };
  const before = text.slice(s.start, m.span.start);
  const start = s.start + Math.max(before.lastIndexOf(','), before.lastIndexOf(';'), before.lastIndexOf(':'), before.lastIndexOf('(')) + 1;
  const rest = text.slice(m.span.end, s.end);
  const sep = rest.search(/[,;]/);
  if (sep < 0) return text.slice(start, s.end);
  const next = rest.slice(sep + 1);
  const nextEnd = next.search(/[,;]/);
  const following = nextEnd < 0 ? next : next.slice(0, nextEnd);
  return text.slice(start, m.span.end + sep) + (/^\s*(?:now\s+|since\s+|later\s+)?(?:resolved|healed|in\s+remission|cured|outgrew)\b/i.test(following) ? following : '');
}

function keyOf(text: string, m: Mention): string {
  return m.concept ? m.concept.id : `text:${text.slice(m.span.start, m.span.end).toLowerCase().replace(/\s+/g, ' ').trim()}`;
}

function groupBy(indexes: readonly number[], key: (i: number) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (const i of indexes) {
    const k = key(i);
    const list = groups.get(k);
    if (list) list.push(i);
    else groups.set(k, [i]);
  }
  return [...groups.values()];
}
