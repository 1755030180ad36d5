import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { AppError, ConfigError } from '../errors.js';
import { extractNote, readExtractableText } from '../jobs/extract-note.js';
import type { NlpPipeline } from '../nlp/types.js';
import { loadPipeline } from '../pipeline-loader.js';
import { buildSoftwareInfo, type SoftwareInfo } from '../provenance/software.js';
import { CHARTMINE_VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { InputError, readAllBytes, UsageError } from './command.js';
import { maxInputBytes, toExtractNote } from './extract-input.js';

/** `chartmine extract [FILE|-]...`: the pipeline in-process, printing the transaction Bundle(s). */
export const extractCommand: CliCommand = {
  name: 'extract',
  help: [
    'Usage: chartmine extract [FILE|-]... [--subject REF] [--ndjson] [--concurrency N]',
    '',
    'Runs the same pipeline as the worker on each input, with no Redis and no server, and prints the transaction',
    'Bundle the worker would write: Conditions, MedicationStatements, Observations, FamilyMemberHistory, Procedures and',
    'AllergyIntolerance, a Provenance, and the pipeline Device. Input is plain text, or a DocumentReference JSON',
    'with the text inline in content[].attachment.data. `-` or no FILE reads stdin.',
    '',
    'Inputs are checked as the worker checks a note: UTF-8 text (a .html/.htm or .md file is read as HTML or',
    'Markdown), at most MAX_DOCUMENT_BYTES, a supported attachment content type and valid base64. JSON with a',
    'resourceType must be a valid DocumentReference. A bad input is one line on stderr and exit code 1; an empty',
    'note is a warning and a Bundle without findings.',
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
    // Loaded when the first input has passed its checks: a bad input is refused at once.
    let loaded: Promise<{ nlp: NlpPipeline; software: SoftwareInfo }> | undefined;
    const pipeline = (): Promise<{ nlp: NlpPipeline; software: SoftwareInfo }> =>
      (loaded ??= loadPipeline(config).then((nlp) => ({ nlp, software: buildSoftwareInfo(CHARTMINE_VERSION, nlp.info) })));
    const ndjson = values.ndjson || inputs.length > 1;
    const extractOne = async (input: string): Promise<string> => {
      const name = input === '-' ? 'stdin' : input;
      try {
        const raw = input === '-' ? await readAllBytes(io.stdin) : await readInputFile(input, maxInputBytes(config.maxDocumentBytes));
        const note = toExtractNote(raw, input, values.subject, config.maxDocumentBytes);
        await readExtractableText(note, config.maxDocumentBytes);
        const { nlp, software } = await pipeline();
        const bundle = await extractNote(note, {
          nlp,
          software,
          mapping: config.mapping,
          maxDocumentBytes: config.maxDocumentBytes,
          recorded: new Date().toISOString(),
          warn: (message) => io.stderr.write(`chartmine extract: warning: ${name}: ${message}\n`),
        });
        return ndjson ? `${JSON.stringify(bundle)}\n` : `${JSON.stringify(bundle, null, 2)}\n`;
      } catch (err: unknown) {
        // The same checks as the worker's, named per input: `chartmine extract: a.txt: attachment is not valid utf-8`.
        if ((err instanceof AppError && !(err instanceof ConfigError)) || err instanceof InputError) throw new InputError(`${name}: ${err.message}`);
        throw err;
      }
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

/** Reads a regular file, refusing directories and files over `limit` bytes before reading them. */
async function readInputFile(path: string, limit: number): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw new InputError('not a regular file');
  if (info.size > limit) throw new InputError(`file is ${info.size} bytes, larger than any note MAX_DOCUMENT_BYTES allows`);
  return readFile(path);
}
