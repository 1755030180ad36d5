import { describe, expect, test } from 'vitest';
import { runCli } from '../../test/support/cli.js';

describe('chartmine bench', () => {
  test('extract with and without the NER model reports every note, the pipeline and the concurrency', async () => {
    const withModel = await runCli(['bench', '--stage', 'extract', '--notes', '4', '--concurrency', '2', '--json'], {});
    expect(withModel.code).toBe(0);
    const a = JSON.parse(withModel.out) as { notes: number; failed?: number; notesPerSecond: number; settings: Record<string, unknown> };
    expect(a).toMatchObject({ stage: 'extract', notes: 4, settings: { pipeline: 'chartmine-rules+ner', concurrency: 2, corpus: 'synthetic' } });
    expect(a.notesPerSecond).toBeGreaterThan(0);

    const without = await runCli(['bench', '--stage', 'extract', '--notes', '4', '--json'], { NER_MODEL: 'none' });
    expect(without.code).toBe(0);
    expect(JSON.parse(without.out)).toMatchObject({ notes: 4, settings: { pipeline: 'chartmine-rules', concurrency: 1 } });
  });

  test('refuses a concurrency that is not a positive integer', async () => {
    const run = await runCli(['bench', '--stage', 'extract', '--concurrency', '0']);
    expect(run.code).not.toBe(0);
    expect(run.err).toContain('--concurrency must be a positive integer');
  });
});
