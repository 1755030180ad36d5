import { parseArgs } from 'node:util';
import { benchInProcess, benchServer, formatBenchReport, type BenchReport } from '../bench/bench.js';
import { generateSyntheticNotes } from '../bench/synthetic-notes.js';
import { loadConfig } from '../config/config.js';
import { loadPipeline } from '../pipeline-loader.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

const STAGES = ['server', 'extract', 'rules'] as const;

/** `chartmine bench`: throughput and latency, printed as numbers. */
export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'benchmark the server path, extract, or the rule stages on deterministic synthetic notes',
  help: [
    'Usage: chartmine bench [--stage server|extract|rules|all] [--notes N] [--seed S] [--json]',
    '',
    '  --stage server   (default) N notes POSTed to the embedded store over HTTP, queued in BullMQ on REDIS_URL,',
    '                   analysed by WORKERS in-process workers and written back; notes/s, p50/p95 latency from',
    '                   POST to job completion, peak RSS of the process',
    '  --stage extract  the pipeline plus FHIR mapping in-process, one note after another',
    '  --stage rules    the rule stages alone (pipeline.analyze)',
    '  --notes N        number of notes (default 200), 300-800 words each, generated from --seed (default 42)',
    '  --json           print the report(s) as JSON',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        stage: { type: 'string', default: 'server' },
        notes: { type: 'string', default: '200' },
        seed: { type: 'string', default: '42' },
        json: { type: 'boolean', default: false },
      },
    });
    const count = Number(values.notes);
    const seed = Number(values.seed);
    if (!Number.isInteger(count) || count < 1) throw new UsageError('--notes must be a positive integer');
    if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
    const stages = values.stage === 'all' ? STAGES : [values.stage];
    if (!stages.every((s) => (STAGES as readonly string[]).includes(s as string))) throw new UsageError(`unknown stage '${values.stage}'`);
    const config = loadConfig(io.env);
    const texts = generateSyntheticNotes(count, seed);
    const reports: BenchReport[] = [];
    for (const stage of stages) {
      const report =
        stage === 'server'
          ? await benchServer(texts, io.env, (c) => loadPipeline(c))
          : await benchInProcess(texts, await loadPipeline(config), stage === 'rules');
      reports.push(report);
      if (!values.json) io.stdout.write(`${formatBenchReport(report)}\n`);
    }
    if (values.json) io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return 0;
  },
};
