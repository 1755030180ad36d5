/**
 * Procedure for a surgery or intervention the note says the patient had ("s/p CABG x3 2009", a surgical history) or
 * will have ("plan: colonoscopy"). Pure. The rules are the README's "What is written" table and the
 * `chartmine-procedure` profile's invariants (cm-proc-*): change them together.
 */
import type { Procedure } from '@medplum/fhirtypes';
import type { Assertion, ProcedureMention } from '../nlp/types.js';
import type { BuildContext } from './build-context.js';
import { FINDING_IDENTIFIER_SYSTEM, PROFILES } from './naming.js';

/**
 * Builds the Procedure for one (procedure, done-or-planned) finding.
 *
 * - status: `completed` for what was done, `preparation` for what the note plans (R4 has no `planned`; a
 *   `ServiceRequest` would claim an order Chartmine cannot see);
 * - performed: `performedDateTime` for a date written next to it (`2009`, `04/2033` → `2033-04`), never after the
 *   note's own date; `performedString` for a phrase ("as a child", "two months ago"); nothing for a plan;
 * - the assertion extension: `historical` when any mention places it in the past, else the first mention's.
 * @param key - the finding key (`Procedure|<concept>|completed|planned`).
 * @param mentions - the mentions of this procedure in this status.
 * @param ctx - the build context.
 * @returns the Procedure.
 */
export function buildProcedure(key: string, mentions: readonly ProcedureMention[], ctx: BuildContext): Procedure {
  const first = mentions[0];
  const planned = key.endsWith('|planned');
  const done = mentions.filter((m) => m.status === 'completed');
  const assertion: Assertion = planned ? first.assertion : done.some((m) => m.assertion === 'historical') ? 'historical' : (done[0] ?? first).assertion;
  const common = ctx.common(key, mentions, [PROFILES.procedure], assertion);
  const performed = planned ? undefined : performedOf(done, ctx);
  return {
    resourceType: 'Procedure',
    meta: common.meta,
    extension: common.extension,
    identifier: [{ system: FINDING_IDENTIFIER_SYSTEM, value: common.identifier }],
    status: planned ? 'preparation' : 'completed',
    code: ctx.toCodeableConcept(first.concept, first.span),
    subject: ctx.note.subject as Procedure['subject'],
    ...(ctx.note.encounter && planned ? { encounter: ctx.note.encounter } : {}),
    ...performed,
  };
}

/** The first stated time: a date not after the note's own date, else a phrase. */
function performedOf(
  mentions: readonly ProcedureMention[],
  ctx: BuildContext
): Pick<Procedure, 'performedDateTime' | 'performedString'> | undefined {
  const noteDate = ctx.note.date?.slice(0, 10);
  for (const m of mentions) {
    const t = m.performed;
    if (t?.kind === 'date' && (!noteDate || t.value <= noteDate.slice(0, t.value.length))) return { performedDateTime: t.value };
  }
  for (const m of mentions) {
    const t = m.performed;
    if (t?.kind === 'phrase') return { performedString: ctx.text.slice(t.span.start, t.span.end).replace(/\s+/g, ' ').trim() };
  }
  return undefined;
}
