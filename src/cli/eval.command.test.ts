/**
 * `eval` checks its own and its suites' options before running a suite: every option a suite documents must pass
 * that check (a missing data folder is then the suite's own one-line message, never "Unknown option").
 */
import { describe, expect, test } from 'vitest';
import { runCli } from '../../test/support/cli.js';

const MISSING = '/nonexistent/chartmine-eval-data';

describe('eval passes every suite option through to its suite', () => {
  test.each([
    ['notes', '--split', 'dev', '--details'],
    ['notes', '--split=test', '--no-model'],
    ['bc5cdr', '--split', 'devel', '--dtype', 'fp32', '--threads', '1', '--models-dir', 'models'],
    ['ncbi', '--model', 'chartmine-ner'],
    ['mtsamples', '--limit', '5', '--top', '3'],
    ['negex', '--errors'],
    ['synthea', '--ner', '--ner-model', 'chartmine-ner'],
    ['sentiment', '--model', 'lexicon', '--dtype', 'fp32', '--split', 'devel', '--limit', '5', '--threads', '1'],
  ])('eval %s …', async (...args) => {
    const c = await runCli(['eval', ...args, '--data', MISSING]);
    expect(c.err).not.toMatch(/Unknown option|argument missing/);
    expect(c.code).toBe(1);
    expect(c.err).toContain(MISSING);
  });

  test('an option no suite knows is still a usage error', async () => {
    const c = await runCli(['eval', 'notes', '--splitt', 'dev', '--data', MISSING]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/Unknown option '--splitt'/);
  });
});
