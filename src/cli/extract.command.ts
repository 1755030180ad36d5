import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { DocumentReference } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
import { DEFAULT_MAPPING_OPTIONS } from '../fhir/finding-types.js';
import { extractNote, toTextNote } from '../jobs/extract-note.js';
import { loadPipeline } from '../pipeline-loader.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { CHARTMINE_VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { readAll, UsageError } from './command.js';

/** `chartmine extract [FILE|-]...`: the pipeline in-process, printing the transaction Bundle(s). */
export const extractCommand: CliCommand = {
  name: 'extract',
  summary: 'analyse a note file (text or DocumentReference JSON) in-process and print the FHIR Bundle; no Redis, no server',
  help: [
    'Usage: chartmine extract [FILE|-]... [--subject REF] [--ndjson]',
    '',
    'Runs the same pipeline as the worker on each input, with no Redis and no server, and prints the transaction',
    'Bundle the worker would write: Conditions, MedicationStatements, Observations, FamilyMemberHistory and',
    'AllergyIntolerance, a Provenance, and the pipeline Device. Input is plain text, or a DocumentReference JSON',
    'with the text inline in content[].attachment.data. `-` or no FILE reads stdin.',
    '',
    '  --subject REF   subject of plain-text notes (default Patient/example)',
    '  --ndjson        one Bundle per line (the default when there is more than one FILE)',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { subject: { type: 'string' }, ndjson: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
    if (values.subject !== undefined && !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(values.subject)) {
      throw new UsageError('--subject must be a reference like Patient/123');
    }
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const config = loadConfig(io.env);
    const nlp = await loadPipeline(config);
    const software = buildSoftwareInfo(CHARTMINE_VERSION, nlp.info);
    const ndjson = values.ndjson || inputs.length > 1;
    for (const input of inputs) {
      const raw = input === '-' ? await readAll(io.stdin) : await readFile(input, 'utf8');
      const note = toNote(raw, values.subject);
      const bundle = await extractNote(note, {
        nlp,
        software,
        mapping: DEFAULT_MAPPING_OPTIONS,
        maxDocumentBytes: config.maxDocumentBytes,
        recorded: new Date().toISOString(),
      });
      io.stdout.write(ndjson ? `${JSON.stringify(bundle)}\n` : `${JSON.stringify(bundle, null, 2)}\n`);
    }
    return 0;
  },
};

/** JSON that is a DocumentReference is used as is; anything else is plain text. */
function toNote(raw: string, subject: string | undefined): DocumentReference {
  const trimmed = raw.trimStart();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err: unknown) {
      void err; // not JSON after all: plain text that starts with a brace
      return toTextNote(raw, subject);
    }
    const resource = parsed as { resourceType?: string };
    if (resource.resourceType !== 'DocumentReference') {
      throw new UsageError('JSON input must be a DocumentReference');
    }
    const note = parsed as DocumentReference;
    return subject ? { ...note, subject: { reference: subject } } : note;
  }
  return toTextNote(raw, subject);
}
