/**
 * The inference thread pool on the shipped model and real worker threads: the same logits, bit for bit, as the
 * in-process transformers.js session; the same spans on the fixture notes; many callers at once; a thread that
 * dies; close; and an event loop that keeps turning while the model works.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { AutoModelForTokenClassification, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { DEFAULT_MODELS_DIR } from '../../config/config.js';
import { ModelError } from '../../errors.js';
import { DEFAULT_NER_MODEL, loadNerModel } from './load-ner-model.js';
import { startNerThreads, type NerThreads } from './ner-threads.js';

const MODEL_DIR = path.join(DEFAULT_MODELS_DIR, DEFAULT_NER_MODEL);
const FILES = { q8: 'onnx/model_quantized.onnx', fp32: 'onnx/model.onnx' } as const;
const NOTES_DIR = path.join(path.dirname(DEFAULT_MODELS_DIR), 'test', 'fixtures', 'notes');

const SENTENCES = [
  'He was started on aspirin and metformin for diabetes mellitus.',
  'The patient denies chest pain but reports shortness of breath.',
  'Hemoglobin A1c was 8.2 % and creatinine 1.4 mg/dL.',
  'No fever.',
];

interface Batch {
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly batch: number;
  readonly seqLen: number;
}

/** A padded batch as the tokenizer builds it. */
async function tokenize(sentences: readonly string[]): Promise<Batch> {
  const tokenizer = await AutoTokenizer.from_pretrained(MODEL_DIR, { local_files_only: true });
  const enc = tokenizer([...sentences], { padding: true }) as { input_ids: Tensor; attention_mask: Tensor };
  const [batch, seqLen] = enc.input_ids.dims;
  return { ids: enc.input_ids.data as BigInt64Array, mask: enc.attention_mask.data as BigInt64Array, batch, seqLen };
}

/** The pool takes ownership of what it is given: hand it copies. */
const runOn = (pool: NerThreads, b: Batch): Promise<Float32Array> => pool.run(b.ids.slice(), b.mask.slice(), b.batch, b.seqLen);

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.each(['q8', 'fp32'] as const)('the inference threads (%s)', (dtype) => {
  let pool: NerThreads;
  let reference: (b: Batch) => Promise<Float32Array>;
  let disposeReference: () => Promise<unknown>;
  beforeAll(async () => {
    pool = await startNerThreads({ onnxFile: path.join(MODEL_DIR, FILES[dtype]), threads: 2, intraOpThreads: 1, modelName: DEFAULT_NER_MODEL });
    // The in-process session as load-ner-model.ts builds it (2 intra-op threads, the default there).
    const model = await AutoModelForTokenClassification.from_pretrained(MODEL_DIR, {
      local_files_only: true,
      device: 'cpu',
      dtype,
      session_options: { intraOpNumThreads: 2, interOpNumThreads: 1, logSeverityLevel: 3 },
    });
    reference = async (b) => {
      const dims = [b.batch, b.seqLen];
      const out = (await model({
        input_ids: new Tensor('int64', b.ids.slice(), dims),
        attention_mask: new Tensor('int64', b.mask.slice(), dims),
        token_type_ids: new Tensor('int64', new BigInt64Array(b.ids.length), dims),
      })) as { logits: { data: Float32Array } };
      return out.logits.data;
    };
    disposeReference = () => model.dispose();
  });
  afterAll(async () => {
    await pool.close();
    await disposeReference();
  });

  test('returns the in-process session’s logits, bit for bit', async () => {
    const b = await tokenize(SENTENCES);
    const [mine, theirs] = await Promise.all([runOn(pool, b), reference(b)]);
    expect(mine.length).toBe(b.batch * b.seqLen * 7);
    expect(bytes(mine).equals(bytes(theirs))).toBe(true);
  });

  test('answers many callers at once, each with the logits of its own batch', async () => {
    const batches = await Promise.all(
      Array.from({ length: 24 }, (_, i) => tokenize(SENTENCES.slice(i % SENTENCES.length, (i % SENTENCES.length) + 1 + (i % 3))))
    );
    const expected: Float32Array[] = [];
    for (const b of batches) expected.push(await reference(b));
    const got = await Promise.all(batches.map((b) => runOn(pool, b)));
    got.forEach((logits, i) => expect(bytes(logits).equals(bytes(expected[i])), `batch ${i}`).toBe(true));
  });
});

describe('a NerModel on the inference threads', () => {
  const notes = readdirSync(NOTES_DIR)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => readFileSync(path.join(NOTES_DIR, f), 'utf8'));

  test.each(['q8', 'fp32'] as const)('finds the same spans on the fixture notes as in-process (%s)', async (dtype) => {
    const inProcess = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, dtype });
    const pooled = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, dtype, inferenceThreads: 2 });
    try {
      expect(notes.length).toBeGreaterThan(0);
      expect(pooled.info).toEqual(inProcess.info);
      const [a, b] = await Promise.all([inProcess.recognizeMany(notes), pooled.recognizeMany(notes)]);
      expect(b).toEqual(a);
      expect(b.flat().length).toBeGreaterThan(10);
    } finally {
      await inProcess.close();
      await pooled.close();
    }
  });

  test('keeps the event loop turning while 50 sentences run', async () => {
    const model = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, inferenceThreads: 2, batchSize: 50 });
    try {
      const text = Array.from({ length: 50 }, (_, i) => SENTENCES[i % SENTENCES.length]).join('\n');
      const sentences = [...text.matchAll(/[^\n]+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      // One batch of 50: in-process it would hold the main thread from start to end.
      const spans = await model.recognize(text, sentences);
      clearInterval(timer);
      expect(spans.length).toBeGreaterThan(50);
      expect(ticks).toBeGreaterThan(0);
    } finally {
      await model.close();
    }
  });
});

describe('inference thread failures', () => {
  const onnxFile = path.join(MODEL_DIR, FILES.q8);

  test('a thread that dies fails its batch with ModelError, naming the shape and no text; a new thread takes its place', async () => {
    const pool = await startNerThreads({ onnxFile, threads: 2, intraOpThreads: 1, modelName: DEFAULT_NER_MODEL });
    try {
      const b = await tokenize(Array.from({ length: 32 }, (_, i) => SENTENCES[i % SENTENCES.length]));
      const expected = await runOn(pool, b);
      pool.killThread(0);
      const doomed = runOn(pool, b); // the first idle thread: thread 0, which stops before it gets to this batch
      const err: unknown = await doomed.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).retryable).toBe(true); // the job runs again, on a thread that is alive
      expect((err as ModelError).message).toContain(`${b.batch}x${b.seqLen}`);
      expect((err as ModelError).message).not.toContain('aspirin');
      await vi.waitFor(() => expect(pool.size()).toBe(2), { timeout: 20_000, interval: 50 });
      const again = await Promise.all([runOn(pool, b), runOn(pool, b)]);
      for (const logits of again) expect(bytes(logits).equals(bytes(expected))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  test('a model file that cannot be loaded fails start-up with ModelError and leaves no thread', async () => {
    const started = startNerThreads({ onnxFile: path.join(MODEL_DIR, 'onnx', 'missing.onnx'), threads: 2, intraOpThreads: 1, modelName: 'missing' });
    await expect(started).rejects.toBeInstanceOf(ModelError);
    await expect(started).rejects.toThrow(/'missing' could not be loaded/);
  });

  test('close fails batches in flight and later ones, and may be called twice', async () => {
    const pool = await startNerThreads({ onnxFile, threads: 1, intraOpThreads: 1, modelName: DEFAULT_NER_MODEL });
    const b = await tokenize(SENTENCES);
    const inFlight = runOn(pool, b).catch((e: unknown) => e);
    await Promise.all([pool.close(), pool.close()]);
    const err = await inFlight;
    // The batch either finished before close or was failed by it; never left hanging.
    if (!(err instanceof Float32Array)) expect(err).toBeInstanceOf(ModelError);
    await expect(runOn(pool, b)).rejects.toBeInstanceOf(ModelError);
    expect(pool.size()).toBe(0);
  });

  test('a process that exits while a batch runs exits with its own code, not an abort', async () => {
    // Node stops worker threads on exit; one stopped inside ONNX Runtime would abort the process (134).
    const root = path.dirname(DEFAULT_MODELS_DIR);
    const dir = path.join(root, 'node_modules', '.cache', 'chartmine-test');
    mkdirSync(dir, { recursive: true });
    const entry = path.join(dir, 'exit-probe-entry.mjs');
    const threads = fileURLToPath(new URL('./ner-threads.ts', import.meta.url));
    writeFileSync(
      entry,
      [
        `import { startNerThreads } from ${JSON.stringify(threads)};`,
        `const pool = await startNerThreads({ onnxFile: ${JSON.stringify(path.join(MODEL_DIR, FILES.fp32))}, threads: 2, intraOpThreads: 1, modelName: 'probe' });`,
        'const n = 64, len = 128;',
        'for (let i = 0; i < 4; i++) pool.run(new BigInt64Array(n * len).fill(1000n), new BigInt64Array(n * len).fill(1n), n, len).catch(() => {});',
        'setTimeout(() => process.exit(3), 20);',
      ].join('\n')
    );
    const outfile = path.join(dir, 'exit-probe.mjs');
    await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
    for (let i = 0; i < 3; i++) {
      const run = spawnSync(process.execPath, [outfile], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).not.toContain('terminate called');
      expect(run.status).toBe(3);
    }
  }, 120_000);
});
