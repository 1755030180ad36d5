import { describe, expect, test } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { withModelRatios, type BenchReport } from '../bench/bench.js';

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

  test('model: the NER model alone on every sentence, with its CPU per note; refused without a model', async () => {
    const run = await runCli(['bench', '--stage', 'model', '--corpus', 'synthetic', '--notes', '3', '--json'], { NER_THREADS: '1' });
    expect(run.code, run.err).toBe(0);
    const r = JSON.parse(run.out) as BenchReport;
    expect(r).toMatchObject({ stage: 'model', notes: 3, settings: { model: 'chartmine-ner', batchSize: 1, corpus: 'synthetic' } });
    expect(r.cpuMsPerNote).toBeGreaterThan(0);
    expect(r.settings.spans).toBeGreaterThan(0);
    const refused = await runCli(['bench', '--stage', 'model', '--corpus', 'synthetic', '--notes', '3'], { NER_MODEL: 'none' });
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('--stage model needs the NER model');
  });

  test('all: model, rules, extract and server on the same notes, each stated against the model alone', async () => {
    const run = await runCli(['bench', '--stage', 'all', '--corpus', 'synthetic', '--notes', '3', '--json'], { NER_THREADS: '1' });
    expect(run.code, run.err).toBe(0);
    const reports = JSON.parse(run.out) as BenchReport[];
    expect(reports.map((r) => r.stage)).toEqual(['model', 'rules', 'extract', 'server']);
    const [model, ...rest] = reports;
    expect(model.relativeToModel).toBeUndefined();
    for (const r of rest) {
      expect(r.settings.corpus).toBe('synthetic');
      expect(r.relativeToModel?.modelCpuMsPerNote).toBe(model.cpuMsPerNote);
      expect(r.relativeToModel?.cpu).toBeCloseTo((r.cpuMsPerNote as number) / (model.cpuMsPerNote as number), 1);
    }
  });

  test('ratios to the model alone: CPU and notes/s divided by the model stage of the same run; none without it', () => {
    const report = (stage: string, cpuMsPerNote: number, notesPerSecond: number): BenchReport => ({
      stage, notes: 10, averageWords: 400, seconds: 1, notesPerSecond, p50Ms: 0, p95Ms: 0, peakRssMb: 100, cpuMsPerNote, settings: {},
    });
    const [model, server] = withModelRatios([report('model', 20, 50), report('server', 50, 30)]);
    expect(model.relativeToModel).toBeUndefined();
    expect(server.relativeToModel).toEqual({ cpu: 2.5, notesPerSecond: 0.6, modelCpuMsPerNote: 20 });
    expect(withModelRatios([report('server', 50, 30)])[0].relativeToModel).toBeUndefined();
  });

  test('refuses a concurrency that is not a positive integer', async () => {
    const run = await runCli(['bench', '--stage', 'extract', '--concurrency', '0']);
    expect(run.code).not.toBe(0);
    expect(run.err).toContain('--concurrency must be a positive integer');
  });
});
