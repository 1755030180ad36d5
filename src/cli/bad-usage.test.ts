/**
 * Every command, with bad arguments and bad settings: one line on stderr naming the problem, exit 2 (usage),
 * 1 (input) or 78 (configuration), and never a stack trace.
 */
import { describe, expect, test } from 'vitest';
import { runCli, type CliRun } from '../../test/support/cli.js';
import { EXIT_CONFIG } from './dispatch.js';
import { COMMANDS } from './commands.js';

/** A stack trace line, as V8 prints one. */
const STACK_LINE = /^\s+at .+[(:]\d+/m;

/** An option that takes a value, per command, given without one (sub-command first where there is one). */
const MISSING_VALUE: Record<string, readonly string[]> = {
  extract: ['--subject'],
  sentiment: ['--subject'],
  jobs: ['failed', '--limit'],
  eval: ['synthea', '--data'],
  bench: ['--notes'],
  terminology: ['info', '--dir'],
  subscribe: ['--mode'],
  profiles: ['check', '--dir'],
  reprocess: ['--since'],
  feedback: ['export', '--out'],
};

function expectOneLine(c: CliRun, command: string, code: number): void {
  expect(c.err, `${command}: ${c.err}`).not.toMatch(STACK_LINE);
  expect(c.code, `${command}: ${c.err}`).toBe(code);
  const lines = c.err.trim().split('\n');
  expect(lines, `${command}: ${c.err}`).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^chartmine ${command}: `));
}

describe('every command answers bad usage with one line', () => {
  test.each(COMMANDS.map((c) => c.name))('%s --no-such-option', async (name) => {
    const c = await runCli([name, '--no-such-option']);
    expectOneLine(c, name, 2);
    expect(c.err).toMatch(/--no-such-option/);
  });

  test.each(COMMANDS.map((c) => c.name))('%s with an option missing its value', async (name) => {
    const args = MISSING_VALUE[name];
    if (!args) {
      // serve, worker, check and assert take no options: any argument is the usage error.
      expectOneLine(await runCli([name, 'surplus']), name, 2);
      return;
    }
    const c = await runCli([name, ...args]);
    expectOneLine(c, name, 2);
    expect(c.err).toMatch(new RegExp(`${args.at(-1)}`));
  });

  test('every command is covered by the table above or takes no options', () => {
    const withoutOptions = ['serve', 'worker', 'check', 'assert'];
    expect(COMMANDS.map((c) => c.name).filter((n) => !MISSING_VALUE[n] && !withoutOptions.includes(n))).toEqual([]);
  });
});

describe('missing paths are one-line messages', () => {
  test.each([
    ['profiles', ['validate', '/nonexistent/bundle.json'], /\/nonexistent\/bundle\.json: no such file or directory/],
    ['profiles', ['check', '--dir', '/nonexistent'], /\/nonexistent: no such file or directory/],
    ['terminology', ['info', '--dir', '/nonexistent'], /cannot read terminology index \/nonexistent/],
    ['terminology', ['match', '--dir', '/nonexistent'], /cannot read terminology index \/nonexistent/],
  ] as const)('%s %j', async (name, args, message) => {
    const c = await runCli([name, ...args]);
    expectOneLine(c, name, 1);
    expect(c.err).toMatch(message);
  });
});

describe('settings only the file system or the resolver can judge stop start-up with exit 78', () => {
  test.each([
    [{ NER_MODEL: 'doesnotexist' }, /NER_MODEL: model 'doesnotexist' not found/],
    [{ TERMINOLOGY_DIR: '/nonexistent/terminology' }, /TERMINOLOGY_DIR: no terminology index/],
    [{ MODELS_DIR: '/nonexistent/models' }, /MODELS_DIR: \/nonexistent\/models is not a directory/],
    [{ NER_LABEL_MAP: 'Disease=ILLNESS' }, /NER_LABEL_MAP: comma-separated Label=PROBLEM/],
  ] as const)('serve, worker and extract with %j', async (env, message) => {
    for (const [name, extra] of [
      ['serve', { PORT: '0' }],
      ['worker', { FHIR_BASE_URL: 'http://127.0.0.1:9/fhir/R4' }],
      ['extract', {}],
    ] as const) {
      const c = await runCli([name], { ...env, ...extra }, 'Asthma.');
      expectOneLine(c, name, EXIT_CONFIG);
      expect(c.err).toMatch(message);
    }
  });

  test('an unresolvable HOST', async () => {
    const c = await runCli(['serve'], { HOST: 'no-such-host.invalid', PORT: '0' });
    expectOneLine(c, 'serve', EXIT_CONFIG);
    expect(c.err).toMatch(/HOST: cannot be resolved/);
  });
});
