/**
 * Offset invariants of an `NlpResult`, checked against its text: every span is inside the text and slices back to
 * what it claims (tokens to their norm, sentences to trimmed text inside their section, measurement components to
 * their value). Returns violations as offsets and ids only, never text.
 */
import type { NlpResult, Span } from '../types.js';

/**
 * Checks every span of a result.
 * @param text - the analysed text.
 * @param result - the pipeline's result for it.
 * @returns violation messages (empty when all hold).
 */
export function checkSpans(text: string, result: NlpResult): string[] {
  const problems: string[] = [];
  const inside = (what: string, s: Span, allowEmpty = false): boolean => {
    const ok = Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= text.length &&
      (allowEmpty ? s.start <= s.end : s.start < s.end);
    if (!ok) problems.push(`${what} [${s.start}, ${s.end}) is not a valid span of a text of length ${text.length}`);
    return ok;
  };
  let prevEnd = 0;
  (result.tokens ?? []).forEach((t, i) => {
    if (!inside(`token ${i}`, t)) return;
    if (t.start < prevEnd) problems.push(`token ${i} overlaps the previous token`);
    if (text.slice(t.start, t.end).toLowerCase() !== t.norm) problems.push(`token ${i} does not slice to its norm`);
    if (/\s/.test(text.slice(t.start, t.end))) problems.push(`token ${i} contains whitespace`);
    prevEnd = t.end;
  });
  prevEnd = 0;
  result.sections.forEach((s, i) => {
    inside(`section ${i} header`, s.header, true);
    if (!inside(`section ${i} body`, s.body, true)) return;
    if (s.header.start < prevEnd) problems.push(`section ${i} starts inside the previous section`);
    if (s.body.start < s.header.end) problems.push(`section ${i} body starts inside its header`);
    prevEnd = s.body.end;
  });
  prevEnd = 0;
  result.sentences.forEach((s, i) => {
    if (!inside(`sentence ${i}`, s)) return;
    const slice = text.slice(s.start, s.end);
    if (slice !== slice.trim()) problems.push(`sentence ${i} is not trimmed`);
    if (s.start < prevEnd) problems.push(`sentence ${i} overlaps the previous sentence`);
    const section = s.section >= 0 ? result.sections[s.section] : undefined;
    if (s.section >= 0 && !section) problems.push(`sentence ${i} names a missing section ${s.section}`);
    if (section && (s.start < section.body.start || s.end > section.body.end)) {
      problems.push(`sentence ${i} lies outside its section body`);
    }
    prevEnd = s.end;
  });
  for (const m of result.mentions) {
    if (!inside(`mention ${m.id}`, m.span)) continue;
    const slice = text.slice(m.span.start, m.span.end);
    if (slice !== slice.trim()) problems.push(`mention ${m.id} has surrounding whitespace`);
    if (m.id !== `${m.kind}-${m.span.start}-${m.span.end}`) problems.push(`mention ${m.id} id does not match its span`);
    const sentence = result.sentences[m.sentence];
    if (!sentence || m.span.start < sentence.start || m.span.start >= sentence.end) {
      problems.push(`mention ${m.id} does not start inside its sentence ${m.sentence}`);
    }
    if (m.kind === 'medication') {
      if (m.sig.span) inside(`mention ${m.id} sig`, m.sig.span);
      if (m.sig.asNeededFor) inside(`mention ${m.id} prn reason`, m.sig.asNeededFor);
    }
    if (m.kind === 'allergy' && m.reaction) inside(`mention ${m.id} reaction`, m.reaction.span);
    if (m.kind === 'measurement') {
      for (const c of m.components ?? []) {
        if (!inside(`mention ${m.id} component`, c.span)) continue;
        if (c.span.start < m.span.start || c.span.end > m.span.end) problems.push(`mention ${m.id} component outside it`);
        if (Number(text.slice(c.span.start, c.span.end)) !== c.value) problems.push(`mention ${m.id} component value`);
      }
    }
  }
  for (const r of result.rejectedMeasurements ?? []) inside(`rejected ${r.key}`, r.span);
  return problems;
}
