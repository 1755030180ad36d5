/**
 * The NER model's forward pass in a pool of worker threads, one ONNX Runtime session each. onnxruntime-node runs
 * `session.run` synchronously on the calling JS thread, so in-process inference blocks the event loop (HTTP, the
 * embedded store, BullMQ locks) for the whole batch, and a second core helps only through intra-op threads, which
 * short sentences use poorly. Here each thread runs its batches one after another on its own core and the main
 * thread only waits.
 *
 * Failures: a thread that throws, crashes or exits rejects the batches it holds with a retryable `ModelError` (the
 * job runs again) and is replaced by a fresh one, provided it had loaded its session once (a thread that cannot even
 * load is not retried: its slot is dropped, and with no slots left every batch is rejected). An error that
 * `session.run` reports for a batch is not retryable, as in-process. Only ids, masks and logits cross threads; the
 * text stays in the main thread.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { ModelError } from '../../errors.js';

/** Pool settings. */
export interface NerThreadsOptions {
  /** The ONNX file (`onnx/model_quantized.onnx` or `onnx/model.onnx`). */
  readonly onnxFile: string;
  /** Worker threads, each with its own session (at least 1). */
  readonly threads: number;
  /** ONNX Runtime intra-op threads per session (1: one core per worker thread). */
  readonly intraOpThreads: number;
  /** Model name for error messages. */
  readonly modelName: string;
}

/** A started pool: the `run` and `close` of a `TokenEncoder`. */
export interface NerThreads {
  /**
   * Runs one padded batch on the least busy thread. The two arrays are transferred to that thread when they own
   * their whole buffer (they are unusable afterwards), copied otherwise.
   * @returns logits, flat `[batch, seqLen, labels]`.
   * @throws ModelError when the thread fails, dies or the pool is closed (the message names the model and shape).
   */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array>;
  /**
   * Stops every thread; batches still held are rejected. Each thread ends after the batch it is running, releasing
   * its session: `Worker.terminate()` during a run can abort the whole process (onnxruntime-node throws a C++
   * exception into a dying environment), so it is never used. Idempotent.
   */
  close(): Promise<void>;
  /** Threads alive now (for tests and health). */
  readonly size: () => number;
  /**
   * Makes thread `index` throw as an uncaught failure would, as soon as the message reaches it: the batches it holds
   * then (and those sent right after) fail, and a new thread takes its place. For tests.
   */
  readonly killThread: (index: number) => void;
}

interface Pending {
  readonly resolve: (logits: Float32Array) => void;
  readonly reject: (err: ModelError) => void;
  readonly shape: string;
}

interface Slot {
  worker: Worker;
  /** Shared with the thread: [busy in ONNX Runtime, stop] (see THREAD_CODE). */
  control: Int32Array;
  ready: boolean;
  /** Resolves when the current thread has exited. */
  exited: Promise<void>;
  readonly pending: Map<number, Pending>;
}

type FromThread =
  | { readonly type: 'ready' }
  | { readonly type: 'load-failed'; readonly name: string; readonly message: string }
  | { readonly type: 'logits'; readonly id: number; readonly logits: Float32Array }
  | { readonly type: 'failed'; readonly id: number; readonly name: string; readonly message: string };

/**
 * The thread's code, CommonJS from a string: no file to find next to the compiled module, so dist/ and vitest
 * (which runs the TypeScript) start the same thing. The session is created as transformers.js creates its own
 * (CPU provider, one inter-op thread), so the logits are the same bit for bit.
 */
const THREAD_CODE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
// control[0]: 1 while ONNX Runtime works in this thread (native code that must not see the thread stop);
// control[1]: set by the main thread when the process exits: start nothing more.
const control = workerData.control;
const idle = () => { Atomics.store(control, 0, 0); Atomics.notify(control, 0); };
const enter = () => { Atomics.store(control, 0, 1); if (Atomics.load(control, 1) === 1) { idle(); return false; } return true; };
Atomics.store(control, 0, 1);
const post = (message, transfer) => {
  try { parentPort.postMessage(message, transfer); }
  catch { parentPort.postMessage({ ...message, logits: message.logits.slice() }); } // a buffer that cannot move
};
const loading = ort.InferenceSession.create(workerData.onnxFile, {
  executionProviders: ['cpu'],
  intraOpNumThreads: workerData.intraOpThreads,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
});
loading.then(
  (session) => { idle(); parentPort.postMessage({ type: 'ready' }); },
  (err) => { idle(); parentPort.postMessage({ type: 'load-failed', name: String(err && err.name), message: String(err && err.message) }); process.exit(1); }
);
let queue = loading;
let closing = false;
parentPort.on('message', (m) => {
  if (m.type === 'crash') throw new Error('inference thread stopped on request'); // as an uncaught failure would
  if (m.type === 'close') {
    closing = true;
    queue = queue.then(async (session) => { if (enter()) await session.release(); idle(); process.exit(0); });
    return;
  }
  queue = queue.then(async (session) => {
    if (closing || !enter()) return session;
    try {
      const dims = [m.batch, m.seqLen];
      const feeds = {};
      for (const name of session.inputNames) {
        if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', m.inputIds, dims);
        else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', m.attentionMask, dims);
        else if (name === 'token_type_ids') feeds[name] = new ort.Tensor('int64', new BigInt64Array(m.inputIds.length), dims);
        else throw new Error('unexpected model input ' + name);
      }
      const out = await session.run(feeds);
      const logits = (out.logits ?? out[session.outputNames[0]]).data;
      post({ type: 'logits', id: m.id, logits }, [logits.buffer]);
    } catch (err) {
      parentPort.postMessage({ type: 'failed', id: m.id, name: String(err && err.name), message: String(err && err.message) });
    } finally {
      idle();
    }
    return session;
  });
});
`;

/** Longest a process exit waits for batches in progress (a batch of 16 windows takes well under a second). */
const EXIT_WAIT_MS = 10_000;

/**
 * Where transformers.js finds onnxruntime-node: the same copy, so the pool and an in-process session agree, and no
 * second dependency to keep in step.
 */
function resolveOrtPath(): string {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve('@huggingface/transformers')).resolve('onnxruntime-node');
}

/** Safe to log: names and a library message that never holds text (ids and masks cross, never words). */
function threadError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** The buffer of a view when the view owns it all (then it can be transferred), else a copy's. */
function ownBuffer(a: BigInt64Array): BigInt64Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

/**
 * Starts the pool and waits until every thread has loaded its session.
 * @param options - file, thread counts, model name.
 * @returns the pool.
 * @throws ModelError when a thread cannot load the model.
 */
export async function startNerThreads(options: NerThreadsOptions): Promise<NerThreads> {
  const ortPath = resolveOrtPath();
  const slots: Slot[] = [];
  let nextId = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  /** An idle thread does not keep the process alive (a CLI that forgets `close` still exits); a busy one does. */
  const holdWhileBusy = (slot: Slot): void => {
    if (slot.pending.size > 0) slot.worker.ref();
    else slot.worker.unref();
  };

  /** The batches a thread held when it stopped: retryable, the same batch runs again on a thread that is alive. */
  const failAll = (slot: Slot, why: (shape: string) => string, cause?: Error): void => {
    for (const p of slot.pending.values()) p.reject(new ModelError(why(p.shape), cause ? { cause } : undefined, true));
    slot.pending.clear();
  };

  /** Starts a thread in `slot` (new or replacing a dead one); resolves once its session is loaded. */
  const spawn = (slot: Slot | undefined): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const control = new Int32Array(new SharedArrayBuffer(8));
      const worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: { ortPath, onnxFile: options.onnxFile, intraOpThreads: options.intraOpThreads, control },
      });
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      const s: Slot = slot ?? { worker, control, ready: false, exited, pending: new Map() };
      s.worker = worker;
      s.control = control;
      s.ready = false;
      s.exited = exited;
      let lastError: Error | undefined;
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') {
          s.ready = true;
          holdWhileBusy(s);
          resolve(s);
        } else if (m.type === 'load-failed') {
          lastError = threadError(m.name, m.message);
        } else {
          const p = s.pending.get(m.id);
          if (!p) return;
          s.pending.delete(m.id);
          holdWhileBusy(s);
          if (m.type === 'logits') p.resolve(m.logits);
          else p.reject(new ModelError(`NER model '${options.modelName}' failed on a batch of ${p.shape}`, { cause: threadError(m.name, m.message) }));
        }
      });
      // 'error' (an uncaught exception in the thread) is followed by 'exit'; the exit handler does the work.
      worker.on('error', (err: Error) => {
        lastError ??= err;
      });
      worker.on('exit', (code) => {
        if (s.worker !== worker) return; // an old thread of a slot that was already replaced
        const wasReady = s.ready;
        s.ready = false;
        failAll(s, (shape) => `NER model '${options.modelName}': its inference thread stopped (exit ${code}) during a batch of ${shape}`, lastError);
        if (closed) return;
        if (!wasReady) {
          // Never loaded: retrying would loop. Drop the slot; start-up reports it, later batches go elsewhere.
          const i = slots.indexOf(s);
          if (i >= 0) slots.splice(i, 1);
          reject(new ModelError(`NER model '${options.modelName}' could not be loaded in an inference thread`, lastError ? { cause: lastError } : undefined));
          return;
        }
        spawn(s).catch(() => undefined); // a replacement that cannot load drops its slot (above)
      });
      if (!slot) slots.push(s);
    });

  /**
   * On process exit Node stops every worker thread, and one stopped inside ONNX Runtime aborts the process (exit 134
   * instead of the code asked for). 'exit' listeners run first and may block: tell each thread to start nothing
   * more and wait, at most EXIT_WAIT_MS in all, for the work in progress to end.
   */
  const onExit = (): void => {
    for (const s of slots) Atomics.store(s.control, 1, 1);
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (const s of slots) {
      while (Atomics.load(s.control, 0) === 1 && Date.now() < deadline) Atomics.wait(s.control, 0, 1, deadline - Date.now());
    }
  };
  process.on('exit', onExit);

  const stopAll = async (): Promise<void> => {
    closed = true;
    for (const s of slots) {
      failAll(s, (shape) => `NER model '${options.modelName}' was closed during a batch of ${shape}`);
      s.worker.ref(); // the process waits for the thread to end its batch, rather than stop it in the middle
      s.worker.postMessage({ type: 'close' });
    }
    await Promise.all(slots.map((s) => s.exited));
    process.off('exit', onExit);
  };

  const started = await Promise.allSettled(Array.from({ length: Math.max(1, options.threads) }, () => spawn(undefined)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }

  return {
    run(inputIds, attentionMask, batch, seqLen) {
      const shape = `${batch}x${seqLen}`;
      if (closed) return Promise.reject(new ModelError(`NER model '${options.modelName}' is closed (a batch of ${shape})`));
      // The least busy thread; a replacement still loading queues the batch until its session is ready.
      let slot: Slot | undefined;
      for (const s of slots) if (!slot || s.pending.size < slot.pending.size) slot = s;
      if (!slot) {
        // Every thread failed to load again: retryable, for another process may still run it; this one stays broken.
        return Promise.reject(new ModelError(`NER model '${options.modelName}' has no inference thread left (a batch of ${shape})`, undefined, true));
      }
      const target = slot;
      const id = nextId++;
      const ids = ownBuffer(inputIds);
      const mask = ownBuffer(attentionMask);
      return new Promise<Float32Array>((resolve, reject) => {
        target.pending.set(id, { resolve, reject, shape });
        holdWhileBusy(target);
        target.worker.postMessage({ id, inputIds: ids, attentionMask: mask, batch, seqLen }, [ids.buffer as ArrayBuffer, mask.buffer as ArrayBuffer]);
      });
    },
    close() {
      closing ??= stopAll();
      return closing;
    },
    size: () => (closed ? 0 : slots.filter((s) => s.ready).length),
    killThread: (index) => slots[index]?.worker.postMessage({ type: 'crash' }),
  };
}
