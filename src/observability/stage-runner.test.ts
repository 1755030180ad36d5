import { describe, expect, test } from 'vitest';
import { realPipeline } from '../../test/support/real-pipeline.js';
import type { PipelineStage, StageRunner } from '../nlp/types.js';
import { createStageRunner, toFhirSpanName } from './tracing.js';

const TEXT = [
  'CHIEF COMPLAINT: chest pain.',
  'HPI: 58 y/o with hypertension and type 2 diabetes on metformin 500 mg PO BID. Denies shortness of breath.',
  'ALLERGIES: penicillin (hives).',
  'VITALS: BP 151/93, HR 77.',
  'FAMILY HISTORY: mother with breast cancer.',
].join('\n');

describe('the stage seam of the pipeline', () => {
  test('output is byte-identical with and without a stage runner, and each rule stage is reported once', async () => {
    const pipeline = await realPipeline();
    const plain = JSON.stringify(await pipeline.analyze(TEXT));
    const seen: PipelineStage[] = [];
    const recording: StageRunner = (stage, fn) => {
      seen.push(stage);
      return fn();
    };
    expect(JSON.stringify(await pipeline.analyze(TEXT, { stage: recording }))).toBe(plain);
    expect(seen.filter((s) => s === 'sections' || s === 'matching')).toEqual(['sections', 'matching']);
    const timed: [PipelineStage, number][] = [];
    expect(JSON.stringify(await pipeline.analyze(TEXT, { stage: createStageRunner((stage, ms) => timed.push([stage, ms])) }))).toBe(plain);
    expect(timed.map(([stage]) => stage)).toEqual(seen);
    expect(timed.every(([, ms]) => ms >= 0)).toBe(true);
  });

  test('the timing runner passes values and errors through, for sync and async stages', async () => {
    const timed: PipelineStage[] = [];
    const run = createStageRunner((stage) => timed.push(stage));
    expect(run('mapping', () => 41 + 1)).toBe(42);
    await expect(run('model', async () => 'spans')).resolves.toBe('spans');
    expect(() =>
      run('sections', () => {
        throw new Error('boom');
      })
    ).toThrow('boom');
    await expect(run('write', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(timed).toEqual(['mapping', 'model', 'sections', 'write']);
  });
});

test('FHIR span names follow the interaction, never the URL', () => {
  const base = 'http://fhir.example/R4/';
  expect(toFhirSpanName('POST', 'http://fhir.example/R4/', base)).toBe('fhir.transaction');
  expect(toFhirSpanName('POST', 'http://fhir.example/R4/AuditEvent', base)).toBe('fhir.create');
  expect(toFhirSpanName('GET', 'http://fhir.example/R4/DocumentReference/1', base)).toBe('fhir.read');
  expect(toFhirSpanName('PUT', 'http://fhir.example/R4/Provenance/2', base)).toBe('fhir.update');
  expect(toFhirSpanName('DELETE', 'http://fhir.example/R4/Condition/3', base)).toBe('fhir.delete');
});
