import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { AppError, ConfigError } from '../errors.js';
import { buildFeedbackSoftwareInfo } from '../feedback/feedback-software.js';
import { selectSentimentClassifier } from '../feedback/select-sentiment-classifier.js';
import { extractFeedback } from '../jobs/extract-feedback.js';
import { loadPipeline } from '../pipeline-loader.js';
import { CHARTMINE_VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { InputError, readAllBytes, UsageError } from './command.js';
import { maxInputBytes } from './extract-input.js';
import { toFeedbackInput } from './sentiment-input.js';

/** `chartmine sentiment [FILE|-]`: the patient-feedback pipeline in-process, printing the transaction Bundle. */
export const sentimentCommand: CliCommand = {
  name: 'sentiment',
  help: [
    'Usage: chartmine sentiment [FILE|-] [--subject REF]',
    '',
    'Runs the same feedback pipeline as the worker on one input, with no Redis and no server, and prints the',
    'transaction Bundle the worker would write: one sentiment Observation per free-text item (negative / neutral /',
    'positive with a score per class, the medications and side effects it mentions), a Provenance, the feedback',
    'pipeline Device and an AuditEvent. Input is a QuestionnaireResponse, Communication or DocumentReference JSON, or',
    'plain text (read as a patient-feedback document). `-` or no FILE reads stdin.',
    '',
    'Inputs are checked as `extract` checks a note (UTF-8, MAX_DOCUMENT_BYTES, attachment content type and base64).',
    'Empty and non-text answers are skipped with a warning on stderr naming the reason; a bad input is one line on',
    'stderr and exit code 1. SENTIMENT_MODEL picks the classifier (none: exit 78).',
    '',
    '  --subject REF   subject of the input (default: its own; plain text: Patient/example)',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({ args: [...args], options: { subject: { type: 'string' } }, allowPositionals: true });
    if (values.subject !== undefined && !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(values.subject)) {
      throw new UsageError('--subject must be a reference like Patient/123');
    }
    if (positionals.length > 1) throw new UsageError('one FILE (or -) at a time');
    const input = positionals[0] ?? '-';
    const name = input === '-' ? 'stdin' : input;
    const config = loadConfig(io.env);
    const classifier = await selectSentimentClassifier(config);
    if (!classifier) throw new ConfigError('SENTIMENT_MODEL: none turns feedback analysis off; set lexicon or chartmine-sentiment');
    try {
      const raw = input === '-' ? await readAllBytes(io.stdin) : await readInputFile(input, maxInputBytes(config.maxDocumentBytes));
      const resource = toFeedbackInput(raw, input, values.subject, config.maxDocumentBytes);
      const nlp = await loadPipeline(config);
      const bundle = await extractFeedback(resource, {
        nlp,
        classifier,
        software: buildFeedbackSoftwareInfo(CHARTMINE_VERSION, nlp.info, classifier),
        maxDocumentBytes: config.maxDocumentBytes,
        recorded: new Date().toISOString(),
        warn: (message) => io.stderr.write(`chartmine sentiment: warning: ${name}: ${message}\n`),
      });
      io.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
      return 0;
    } catch (err: unknown) {
      if ((err instanceof AppError && !(err instanceof ConfigError)) || err instanceof InputError) throw new InputError(`${name}: ${err.message}`);
      throw err;
    }
  },
};

/** Reads a regular file, refusing directories and files over `limit` bytes before reading them. */
async function readInputFile(path: string, limit: number): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw new InputError('not a regular file');
  if (info.size > limit) throw new InputError(`file is ${info.size} bytes, larger than MAX_DOCUMENT_BYTES allows`);
  return readFile(path);
}
