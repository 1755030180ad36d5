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

  test('extract --profile reports stages, model parts, skipped sentences and CPU per note, in text and JSON', async () => {
    const json = await runCli(['bench', '--stage', 'extract', '--notes', '4', '--profile', '--json'], { NER_THREADS: '1' });
    expect(json.code, json.err).toBe(0);
    const r = JSON.parse(json.out) as { extractProfile: { notes: number; stages: Record<string, number>; modelParts: Record<string, number>; modelSentences: number; modelSentencesRun: number; cpuMsPerNote: number } };
    expect(r.extractProfile.notes).toBe(4);
    expect(Object.keys(r.extractProfile.stages)).toEqual(expect.arrayContaining(['dictionary', 'model', 'sections', 'matching']));
    expect(Object.keys(r.extractProfile.modelParts).sort()).toEqual(['decode', 'encode', 'forward']);
    expect(r.extractProfile.modelSentencesRun).toBeLessThanOrEqual(r.extractProfile.modelSentences);
    expect(r.extractProfile.cpuMsPerNote).toBeGreaterThan(0);

    const text = await runCli(['bench', '--stage', 'extract', '--notes', '3', '--profile'], { NER_MODEL: 'none' });
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('stage dictionary');
    expect(text.out).toContain('no NER model');
  });

  test('extract --verify-identical compares skipping with every sentence and exits 0 when all are identical', async () => {
    const run = await runCli(['bench', '--stage', 'extract', '--notes', '3', '--verify-identical', '--json'], { NER_THREADS: '1' });
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ identity: { notes: 3, identical: 3, different: 0 } });
    const refused = await runCli(['bench', '--stage', 'server', '--verify-identical']);
    expect(refused.code).not.toBe(0);
  });

  test('refuses a concurrency that is not a positive integer', async () => {
    const run = await runCli(['bench', '--stage', 'extract', '--concurrency', '0']);
    expect(run.code).not.toBe(0);
    expect(run.err).toContain('--concurrency must be a positive integer');
  });
});
