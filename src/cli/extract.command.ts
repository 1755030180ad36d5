import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { DocumentReference } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
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
    'Usage: chartmine extract [FILE|-]... [--subject REF] [--ndjson] [--concurrency N]',
    '',
    'Runs the same pipeline as the worker on each input, with no Redis and no server, and prints the transaction',
    'Bundle the worker would write: Conditions, MedicationStatements, Observations, FamilyMemberHistory, Procedures and',
    'AllergyIntolerance, a Provenance, and the pipeline Device. Input is plain text, or a DocumentReference JSON',
    'with the text inline in content[].attachment.data. `-` or no FILE reads stdin.',
    '',
    '  --subject REF   subject of plain-text notes (default Patient/example)',
    '  --ndjson        one Bundle per line (the default when there is more than one FILE)',
    '  --concurrency N notes analysed at once (default 1; output keeps the input order); with the model on',
    '                  2 cores, 1 is fastest: ONNX Runtime already uses NER_THREADS cores',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { subject: { type: 'string' }, ndjson: { type: 'boolean', default: false }, concurrency: { type: 'string', default: '1' } },
      allowPositionals: true,
    });
    if (values.subject !== undefined && !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(values.subject)) {
      throw new UsageError('--subject must be a reference like Patient/123');
    }
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const config = loadConfig(io.env);
    const nlp = await loadPipeline(config);
    const software = buildSoftwareInfo(CHARTMINE_VERSION, nlp.info);
    const ndjson = values.ndjson || inputs.length > 1;
    const extractOne = async (input: string): Promise<string> => {
      const raw = input === '-' ? await readAll(io.stdin) : await readFile(input, 'utf8');
      const bundle = await extractNote(toNote(raw, values.subject), {
        nlp,
        software,
        mapping: config.mapping,
        maxDocumentBytes: config.maxDocumentBytes,
        recorded: new Date().toISOString(),
      });
      return ndjson ? `${JSON.stringify(bundle)}\n` : `${JSON.stringify(bundle, null, 2)}\n`;
    };
    // Up to `concurrency` notes in flight; output keeps the input order. With the model on 2 cores, 1 is fastest:
    // ONNX Runtime already uses both cores (42.5 vs 33.1 notes/s at 2, see the README's benchmarks).
    const pending: Array<Promise<string>> = [];
    for (const input of inputs) {
      const bundle = extractOne(input);
      bundle.catch(() => undefined); // its error surfaces when its turn to print comes, not as an unhandled rejection
      pending.push(bundle);
      if (pending.length >= concurrency) io.stdout.write(await pending.shift()!);
    }
    for (const next of pending) io.stdout.write(await next);
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
