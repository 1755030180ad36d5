import { parseArgs } from 'node:util';
import { EVAL_SUITES } from '../eval/suites.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

/** Default data directory: the shared folder beside a developer's checkout. A user's clone passes `--data`. */
const DEFAULT_DATA_DIR = '../shared/data';

/** `chartmine eval <suite> [--json] [--data DIR]`. */
export const evalCommand: CliCommand = {
  name: 'eval',
  get help(): string {
    return [
      'Usage: chartmine eval <suite> [--json] [--data DIR] [suite options]',
      '',
      'Runs an evaluation suite on public data and prints a metrics table (or JSON with --json).',
      `  --data DIR   data directory (default ${DEFAULT_DATA_DIR}); suites name any file that is missing`,
      '  --json       print the report as one JSON object',
      '',
      'Suites:',
      ...EVAL_SUITES.map((s) => `  ${s.name.padEnd(10)} ${s.summary}`),
    ].join('\n');
  },
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean', default: false }, data: { type: 'string', default: DEFAULT_DATA_DIR } },
      allowPositionals: true,
      strict: false,
    });
    checkEvalOptions(args);
    const name = positionals[0];
    const suite = EVAL_SUITES.find((s) => s.name === name);
    if (!suite) {
      throw new UsageError(name ? `unknown suite '${name}'` : 'which suite?');
    }
    const report = await suite.run({ dataDir: String(values.data), args: withoutEvalOptions(args, name) });
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${report.text}\n`);
    return 0;
  },
};

/**
 * Options of `eval` and of its suites (`synthea --ner`, `notes --split dev --details`, `bc5cdr --dtype fp32`,
 * `mtsamples --limit 100`, `negex --errors`, …); each `VALUE_OPTIONS` entry needs a value. A suite that gains an
 * option adds it here (`eval.command.test.ts` runs every suite's documented options through this check).
 */
export const EVAL_FLAG_OPTIONS = ['--json', '--ner', '--matcher', '--no-model', '--details', '--errors'];
export const EVAL_VALUE_OPTIONS = ['--data', '--ner-model', '--split', '--model', '--models-dir', '--dtype', '--threads', '--limit', '--top'];
const FLAG_OPTIONS = EVAL_FLAG_OPTIONS;
const VALUE_OPTIONS = EVAL_VALUE_OPTIONS;

/** Parsing is left lax for the suites' own options, so unknown options and missing values are checked here. */
function checkEvalOptions(args: readonly string[]): void {
  args.forEach((arg, i) => {
    if (!arg.startsWith('-')) return;
    const name = arg.split('=')[0];
    if (VALUE_OPTIONS.includes(name)) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
      if (value === undefined || value === '' || (!arg.includes('=') && value.startsWith('-'))) {
        throw new UsageError(`Option '${name} <value>' argument missing`);
      }
    } else if (!FLAG_OPTIONS.includes(arg)) {
      throw new UsageError(`Unknown option '${name}'`);
    }
  });
}

/** The arguments left for the suite: everything but the suite name, `--json` and `--data DIR`. */
function withoutEvalOptions(args: readonly string[], suiteName: string): string[] {
  const rest: string[] = [];
  let nameSeen = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json' || arg.startsWith('--data=')) continue;
    if (arg === '--data') {
      i++;
      continue;
    }
    if (arg === suiteName && !nameSeen) {
      nameSeen = true;
      continue;
    }
    rest.push(arg);
  }
  return rest;
}
