import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInProcess, benchModelAlone, benchRulesStage, benchServer, benchVerifyIdentical, formatBenchReport, withModelRatios, type BenchReport } from '../bench/bench.js';
import { generateSyntheticNotes } from '../bench/synthetic-notes.js';
import { loadConfig } from '../config/config.js';
import { readMtsamplesNotes } from '../nlp/testing/mtsamples.js';
import { loadConfiguredNerModel, loadPipeline } from '../pipeline-loader.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

const STAGES = ['server', 'extract', 'rules', 'model'] as const;
/** `--stage all`: the reference first, then the rules, the pipeline and the server, on the same notes. */
const ALL_STAGES = ['model', 'rules', 'extract', 'server'] as const;

/** `chartmine bench`: throughput and latency, printed as numbers. */
export const benchCommand: CliCommand = {
  name: 'bench',
  help: [
    'Usage: chartmine bench [--stage server|extract|rules|model|all] [--corpus synthetic|mtsamples] [--notes N] [--seed S]',
    '                       [--concurrency N] [--rate N] [--profile] [--verify-identical] [--data DIR] [--json]',
    '',
    '  --stage server   (default) N notes POSTed to the embedded store over HTTP, queued in BullMQ on REDIS_URL,',
    '                   analysed by WORKERS in-process workers and written back; notes/s, p50/p95 latency from',
    '                   POST to job completion, peak RSS of the process',
    '  --stage extract  the pipeline plus FHIR mapping in-process, one note after another (--concurrency N: N notes',
    '                   in flight, as WORKERS jobs share a process)',
    '  --stage rules    the rule stages alone (sections, sentences, dictionary, ConText, sigs, measurements), with',
    '                   the shipped terminology index; on MTSamples by default (3 timed passes)',
    '  --stage model    the NER model alone, the reference: every sentence of each note, no rules, no sentence',
    '                   skipping, one note after another, with the configured model and threads',
    '  --stage all      model, rules, extract and server on the same notes (MTSamples unless --corpus says',
    '                   otherwise), each stated against the model alone as ratios (CPU per note, notes/s)',
    '  --corpus         synthetic (default for server and extract): N deterministic notes of 300-800 words from',
    '                   --seed (default 42); mtsamples (default for rules, model and all): the MTSamples notes in',
    '                   --data (default ../shared/data), all of them unless --notes is given',
    '  --notes N        number of notes (default 200 synthetic)',
    '  --rate N         (server) offer N notes per second instead of as fast as possible, e.g. the p95 latency',
    '                   at 10 notes/s',
    '  --profile        (server) after the run, where the time per note went: the POST, the wait in the queue,',
    '                   each stage, the write-back plan, the FHIR requests by interaction, the embedded store\'s',
    '                   request and validation times, and the process\'s CPU time; (extract) per note: each',
    '                   pipeline stage, the NER model\'s encode / forward / decode, mapping + plan, the share of',
    '                   the model\'s sentences skipped, and the process\'s CPU time',
    '  --verify-identical (extract) run each note with sentence skipping and with the model on every sentence;',
    '                   print how many outputs (NlpResult and Bundle JSON) are byte-identical; exit 1 if any differ',
    '  --json           print the report(s) as JSON',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        stage: { type: 'string', default: 'server' },
        notes: { type: 'string', default: '200' },
        seed: { type: 'string', default: '42' },
        corpus: { type: 'string' },
        data: { type: 'string', default: '../shared/data' },
        json: { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '1' },
        rate: { type: 'string' },
        profile: { type: 'boolean', default: false },
        'verify-identical': { type: 'boolean', default: false },
      },
    });
    const count = Number(values.notes);
    const seed = Number(values.seed);
    if (!Number.isInteger(count) || count < 1) throw new UsageError('--notes must be a positive integer');
    if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new UsageError('--rate must be a positive number of notes per second');
    const all = values.stage === 'all';
    const stages = all ? ALL_STAGES : [values.stage];
    if (!stages.every((s) => (STAGES as readonly string[]).includes(s as string))) throw new UsageError(`unknown stage '${values.stage}'`);
    if (values.corpus !== undefined && values.corpus !== 'synthetic' && values.corpus !== 'mtsamples') {
      throw new UsageError(`unknown corpus '${values.corpus}'`);
    }
    const config = loadConfig(io.env);
    const notesGiven = args.some((a) => a === '--notes' || a.startsWith('--notes='));
    const corpusFor = (stage: string): string => values.corpus ?? (all || stage === 'rules' || stage === 'model' ? 'mtsamples' : 'synthetic');
    const textsFor = (corpus: string): string[] => {
      if (corpus === 'synthetic') return generateSyntheticNotes(count, seed);
      const path = join(values.data, 'mtsamples', 'mtsamples.csv.gz');
      const notes = readMtsamplesNotes(path);
      if (!notes) throw new UsageError(`${path} not found: pass --data DIR (the shared data directory) or --corpus synthetic`);
      const texts = notes.map((n) => n.text).filter((t) => t.trim().length > 0);
      return notesGiven ? texts.slice(0, count) : texts;
    };
    const verify = values['verify-identical'];
    if (verify && !stages.every((s) => s === 'extract')) throw new UsageError('--verify-identical needs --stage extract');
    const extractReport = async (texts: string[]): Promise<BenchReport> => {
      if (!verify) return benchInProcess(texts, await loadPipeline(config), concurrency, { profile: values.profile });
      const ner = await loadConfiguredNerModel(config);
      if (!ner) throw new UsageError('--verify-identical needs the NER model (NER_MODEL is none or the model is absent)');
      return benchVerifyIdentical(texts, await loadPipeline(config, {}, { ner }), await loadPipeline(config, {}, { ner, nerSkipSentences: false }));
    };
    const modelReport = async (texts: string[]): Promise<BenchReport | undefined> => {
      const ner = await loadConfiguredNerModel(config);
      if (!ner) {
        if (!all) throw new UsageError('--stage model needs the NER model (NER_MODEL is none or the model is absent)');
        if (!values.json) io.stdout.write('stage model: skipped (NER_MODEL is none or the model is absent): no ratios to the model alone\n');
        return undefined;
      }
      try {
        return await benchModelAlone(texts, ner);
      } finally {
        await ner.close();
      }
    };
    let reports: BenchReport[] = [];
    for (const stage of stages) {
      const corpus = corpusFor(stage as string);
      const texts = textsFor(corpus);
      const report =
        stage === 'server'
          ? await benchServer(texts, io.env, (c, edges) => loadPipeline(c, edges), undefined, { rate, profile: values.profile })
          : stage === 'rules'
            ? await benchRulesStage(texts, config.modelsDir)
            : stage === 'model'
              ? await modelReport(texts)
              : await extractReport(texts);
      if (!report) continue;
      const ner = stage === 'rules' ? {} : { nerInferenceThreads: config.ner.inferenceThreads, nerThreads: config.ner.threads };
      reports = withModelRatios([...reports, { ...report, settings: { ...report.settings, corpus, ...ner } }]);
      if (!values.json) io.stdout.write(`${formatBenchReport(reports[reports.length - 1])}\n`);
    }
    if (values.json) io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return reports.some((r) => (r.identity?.different ?? 0) > 0) ? 1 : 0;
  },
};
