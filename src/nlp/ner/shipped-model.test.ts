/**
 * The shipped model (`models/chartmine-ner`), run through transformers.js exactly as the worker runs it: files and
 * checksums as the recipe wrote them, exact offsets, windowing of long inputs, fp32 and int8 agreement, and the
 * model named with its checksum in the pipeline's components (what the Provenance Device lists).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_MODELS_DIR, loadConfig } from '../../config/config.js';
import { loadConfiguredNerModel } from '../../pipeline-loader.js';
import { DEFAULT_NER_MODEL, loadNerModel, readShippedModelFiles, type ShippedModelFiles } from './load-ner-model.js';
import type { NerModel, NerSpan } from './types.js';

const MODEL_DIR = path.join(DEFAULT_MODELS_DIR, DEFAULT_NER_MODEL);
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The shipped folder's `files.json` (a missing file fails every test that reads it). */
const shippedFiles = (): ShippedModelFiles => {
  const files = readShippedModelFiles(MODEL_DIR);
  if (!files) throw new Error(`${MODEL_DIR}/files.json is missing`);
  return files;
};

const SENTENCES = [
  'He was started on aspirin and metformin for diabetes mellitus.',
  'The patient denies chest pain but reports shortness of breath.',
  'Hemoglobin A1c was 8.2 % and creatinine 1.4 mg/dL.',
];

const found = (text: string, spans: readonly NerSpan[], label: string): string[] =>
  spans.filter((s) => s.label === label).map((s) => text.slice(s.start, s.end).toLowerCase());

describe('the shipped NER model', () => {
  let q8: NerModel;
  let fp32: NerModel;
  beforeAll(async () => {
    q8 = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, dtype: 'q8', threads: 1 });
    fp32 = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, dtype: 'fp32', threads: 1 });
  });
  afterAll(async () => {
    await q8.close();
    await fp32.close();
  });

  test('ships every file transformers.js needs, with the checksums the recipe recorded', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'README.md']) {
      expect(existsSync(path.join(MODEL_DIR, f)), f).toBe(true);
    }
    const files = shippedFiles();
    expect(Object.keys(files.files).sort()).toEqual(['onnx/model.onnx', 'onnx/model_quantized.onnx']);
    for (const [f, meta] of Object.entries(files.files)) {
      expect(sha256(path.join(MODEL_DIR, f)), f).toBe(meta.sha256);
    }
    const config = JSON.parse(readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8')) as { chartmine_version: string; id2label: Record<string, string> };
    expect(config.chartmine_version).toBe(files.version);
    expect(Object.values(config.id2label)).toEqual(['O', 'B-PROBLEM', 'I-PROBLEM', 'B-DRUG', 'I-DRUG', 'B-TEST', 'I-TEST']);
  });

  test('the model card states the version and the checksum of the int8 file that is shipped', () => {
    const files = shippedFiles();
    const card = readFileSync(path.join(MODEL_DIR, 'README.md'), 'utf8');
    expect(card).toContain(files.files['onnx/model_quantized.onnx'].sha256);
    expect(card).toContain(files.files['onnx/model.onnx'].sha256);
    expect(card).toContain(files.version);
  });

  test('names itself with version, dtype and the sha256 of the ONNX file that runs', () => {
    const files = shippedFiles();
    expect(q8.info).toEqual({ name: DEFAULT_NER_MODEL, version: `${files.version}+q8`, sha256: files.files['onnx/model_quantized.onnx'].sha256 });
    expect(fp32.info.sha256).toBe(files.files['onnx/model.onnx'].sha256);
  });

  test('finds drugs, problems and tests, with offsets that slice the original text exactly', async () => {
    const text = SENTENCES.join('\n');
    const spans = await q8.recognize(text);
    for (const s of spans) {
      expect(s.end).toBeGreaterThan(s.start);
      expect(text.slice(s.start, s.end)).toBe(text.slice(s.start, s.end).trim());
      expect(s.score).toBeGreaterThan(0.5);
      expect(s.score).toBeLessThanOrEqual(1);
    }
    expect(found(text, spans, 'DRUG')).toEqual(expect.arrayContaining(['aspirin', 'metformin']));
    expect(found(text, spans, 'PROBLEM').some((t) => t.includes('diabetes'))).toBe(true);
    expect(found(text, spans, 'PROBLEM').some((t) => t.includes('chest pain'))).toBe(true);
    expect(found(text, spans, 'TEST').some((t) => t.includes('creatinine') || t.includes('a1c'))).toBe(true);
  });

  test('windows a note longer than the model maximum instead of truncating it', async () => {
    const filler = 'The patient was seen in clinic today and the visit was otherwise routine. ';
    const text = `${filler.repeat(60)}He takes warfarin for atrial fibrillation.`;
    expect(text.split(/\s+/).length).toBeGreaterThan(q8.maxTokens * 1.5);
    const spans = await q8.recognize(text, [{ start: 0, end: text.length }]);
    const warfarin = text.lastIndexOf('warfarin');
    expect(spans).toContainEqual(expect.objectContaining({ start: warfarin, end: warfarin + 'warfarin'.length, label: 'DRUG' }));
  });

  test('int8 and fp32 agree on the spans of clinical sentences', async () => {
    const text = SENTENCES.join(' ');
    const key = (s: NerSpan): string => `${s.start}-${s.end}-${s.label}`;
    const a = new Set((await q8.recognize(text)).map(key));
    const b = new Set((await fp32.recognize(text)).map(key));
    const both = [...a].filter((k) => b.has(k)).length;
    expect(both / Math.max(a.size, b.size)).toBeGreaterThanOrEqual(0.8);
  });

  test('is what the pipeline loads when NER_MODEL is unset, and NER_MODEL=none turns it off', async () => {
    const model = await loadConfiguredNerModel(loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR }));
    try {
      expect(model?.info.name).toBe(DEFAULT_NER_MODEL);
    } finally {
      await model?.close();
    }
    expect(await loadConfiguredNerModel(loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR, NER_MODEL: 'none' }))).toBeUndefined();
  });
});
