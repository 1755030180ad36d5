import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { DocumentReference, Provenance, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
import { createFhirClient } from '../fhir/client-factory.js';
import type { FhirGateway } from '../fhir/gateway.js';
import { readNoteText } from '../fhir/note-text.js';
import { parseVersionedRef, sentenceAround, toFeedbackRecord, type FeedbackRecord } from '../review/feedback-export.js';
import { REVIEW_DECISION_TAG } from '../review/review-codes.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';
import { configurationHelp } from './configuration-help.js';

/** `chartmine feedback export`: reviewer decisions (the /review page's Provenance) as JSONL. */
export const feedbackCommand: CliCommand = {
  name: 'feedback',
  help: [
    'Usage: chartmine feedback export [--out FILE] [--include-text] [--since DATE]',
    '',
    'Reads every reviewer decision (Provenance tagged review-decision) from the configured FHIR server and writes one',
    'JSON line per decision: provenance, resource and version, note and version, span offsets, label (resource type),',
    'decision (accept, reject, correct), original and corrected code and assertion, reviewer, recorded time.',
    '',
    'Options:',
    '  --out FILE       write to FILE (default: stdout)',
    '  --include-text   add the sentence around the span (note text: PHI; off by default)',
    '  --since DATE     only decisions recorded at or after DATE (FHIR date or dateTime)',
    '',
    'Prints {"exported": N} on stderr.',
    '',
    configurationHelp('feedback'),
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { out: { type: 'string' }, 'include-text': { type: 'boolean', default: false }, since: { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals.length !== 1 || positionals[0] !== 'export') throw new UsageError('usage: chartmine feedback export [--out FILE] [--include-text] [--since DATE]');
    if (values.since !== undefined && !/^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(values.since)) {
      throw new UsageError('--since must be a FHIR date or dateTime, e.g. 2026-11-01');
    }
    const config = loadConfig(io.env);
    const gateway = await createFhirClient(config);
    const records = await readFeedback(gateway, { since: values.since, includeText: values['include-text'], maxDocumentBytes: config.maxDocumentBytes });
    const lines = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    if (values.out) {
      const file = createWriteStream(values.out, { mode: 0o600 });
      file.end(lines);
      await once(file, 'finish');
    } else {
      io.stdout.write(lines);
    }
    io.stderr.write(`${JSON.stringify({ exported: records.length })}\n`);
    return 0;
  },
};

/**
 * Reads the decisions and the finding versions around them.
 * @param gateway - the FHIR gateway.
 * @param options - since, whether to add sentences, the note size limit.
 * @returns the records, oldest first.
 */
export async function readFeedback(
  gateway: FhirGateway,
  options: { readonly since: string | undefined; readonly includeText: boolean; readonly maxDocumentBytes: number }
): Promise<FeedbackRecord[]> {
  const params: [string, string][] = [['_tag', `${REVIEW_DECISION_TAG.system}|${REVIEW_DECISION_TAG.code}`]];
  if (options.since) params.push(['recorded', `ge${options.since}`]);
  const provenances = ((await gateway.searchAll('Provenance', params)) as (Provenance & { id: string })[]).sort((a, b) =>
    (a.recorded ?? '').localeCompare(b.recorded ?? '')
  );
  const histories = new Map<string, Promise<Resource[]>>();
  const version = async (reference: string | undefined): Promise<Resource | undefined> => {
    const ref = parseVersionedRef(reference);
    if (!ref) return undefined;
    const key = `${ref.resourceType}/${ref.id}`;
    if (!histories.has(key)) histories.set(key, gateway.readHistory(ref.resourceType, ref.id));
    const history = (await histories.get(key)) ?? [];
    return ref.versionId ? history.find((r) => r.meta?.versionId === ref.versionId) : history[0];
  };
  const records: FeedbackRecord[] = [];
  for (const provenance of provenances) {
    const before = await version(provenance.entity?.find((e) => e.role === 'revision')?.what.reference);
    const after = await version(provenance.target[0]?.reference);
    let record = toFeedbackRecord(provenance, before, after);
    if (record && options.includeText && record.span && record.note) {
      const note = (await version(`${record.note}${record.noteVersion ? `/_history/${record.noteVersion}` : ''}`)) as DocumentReference | undefined;
      if (note) {
        const { text } = await readNoteText(note, (url, max) => gateway.readAttachment(url, max), options.maxDocumentBytes);
        record = toFeedbackRecord(provenance, before, after, sentenceAround(text, record.span.start, record.span.end));
      }
    }
    if (record) records.push(record);
  }
  return records;
}
