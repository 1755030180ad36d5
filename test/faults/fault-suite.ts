/**
 * The fault suite: scenarios that run Chartmine under faults and count, per scenario, notes sent / written / lost /
 * duplicated / stale. Loopback only. Each scenario starts its own redis-server on a free port, an embedded FHIR
 * store (instance A), a fault-injecting proxy in front of it, and the Chartmine under test (instance B, reading and
 * writing A through the proxy; for crash scenarios, worker child processes). Every scenario is bounded in time and
 * in the requests it may make.
 *
 * Counts, per note, after the scenario settled (A is asked directly, not through the proxy):
 * - written: the note's active findings are exactly those of its final version;
 * - lost: the final version's finding is missing;
 * - duplicated: more than one active finding for the same concept of one note;
 * - stale: an active finding that only an earlier version supports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Condition, DocumentReference } from '@medplum/fhirtypes';
import { loadConfig } from '../../src/config/config.js';
import { SOURCE_DOCUMENT_TAG_SYSTEM } from '../../src/fhir/naming.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type ServerHandle } from '../../src/runtime.js';
import { aNote } from '../builders/note.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { asFixtureNote } from '../support/notify.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';

/** What a scenario measured. */
export interface ScenarioResult {
  readonly name: string;
  readonly sent: number;
  readonly written: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly stale: number;
  /** Jobs left failed (visible, replayable) at the end. */
  readonly failedJobs: number;
  /** Job starts in all (attempts and delayed waits), for the jobs still kept. */
  readonly starts: number;
  readonly requests: number;
  readonly seconds: number;
}

/** The world a scenario runs in. */
export interface World {
  readonly redisPort: number;
  readonly a: ServerHandle;
  readonly b: ServerHandle;
  readonly proxy: FaultProxy;
  /** Creates or updates a note in A and notifies B; returns the note as stored. */
  write(noteId: string | undefined, text: string): Promise<DocumentReference>;
  /** Kills Redis (SIGKILL) and starts it again on the same port with the same data directory (AOF). */
  restartRedis(downMs: number): Promise<void>;
  /** Starts a `chartmine worker` child process (needs `npm run build`). */
  spawnWorker(): ChildProcess;
}

/** One scenario. */
export interface Scenario {
  readonly name: string;
  /** Upper bound of the whole scenario. */
  readonly timeoutMs: number;
  /** Upper bound of requests through the proxy. */
  readonly maxRequests: number;
  /** B's in-process workers (0: child workers only). */
  readonly workers?: number;
  readonly env?: Record<string, string>;
  run(world: World): Promise<void>;
}

const TOKEN = 'fault-suite-api-token-0123456789';
const SECRET = 'fault-suite-notify-secret-0123456789';
/** Each version of a note says one of these; the finding written tells which version it came from. */
export const TEXTS = ['Hypertension.', 'Asthma.'] as const;
const CONCEPT_OF = (text: string): string => (/hypertens/i.test(text) ? 'hypertension' : 'asthma');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs one scenario in a fresh world and measures it.
 * @param scenario - the scenario.
 * @returns what it measured.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'chartmine-faults-'));
  const redisPort = await freePort();
  let redis = await startRedis(redisPort, dir);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const log = createLogger('silent');
  const pipeline = async () => scriptedPipeline();
  const a = await startServer(loadConfig({ PORT: '0', WORKERS: '0', REDIS_URL: redisUrl, QUEUE_PREFIX: 'fa', API_TOKEN: TOKEN, STORE: 'file', DATA_DIR: join(dir, 'store') }), log, pipeline);
  const proxy = await startFaultProxy(a.url);
  const bEnv = {
    PORT: '0',
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: 'fb',
    FHIR_BASE_URL: `${proxy.url}/fhir/R4/`,
    DATA_DIR: join(dir, 'b'), // its catch-up watermark (STORE=file keeps it in DATA_DIR), in the scenario's folder
    FHIR_TOKEN: TOKEN,
    NOTIFY_SECRET: SECRET,
    WORKERS: String(scenario.workers ?? 2),
    FHIR_TIMEOUT_MS: '2000',
    FHIR_STEP_TIMEOUT_MS: '20000',
    FHIR_CIRCUIT_OPEN_MS: '2000',
    ...scenario.env,
  };
  const b = await startServer(loadConfig(bEnv), log, pipeline);
  const children = new Set<ChildProcess>();
  const versions = new Map<string, string[]>(); // note id → texts of its versions, in order
  const world: World = {
    redisPort,
    a,
    b,
    proxy,
    async write(noteId, text) {
      const body = { ...aNote({ text }), ...(noteId ? { id: noteId } : {}) };
      const response = await fetch(`${a.url}/fhir/R4/DocumentReference${noteId ? `/${noteId}` : ''}`, {
        method: noteId ? 'PUT' : 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify(body),
      });
      const note = (await response.json()) as DocumentReference;
      const id = note.id ?? '';
      versions.set(id, [...(versions.get(id) ?? []), text]);
      // Notified like a rest-hook Subscription would; retried while B (or its Redis) is down, as Medplum retries.
      for (let attempt = 0; ; attempt++) {
        const sent = await fetch(`${b.url}/notify`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify(asFixtureNote(note)),
        }).catch(() => undefined);
        if (sent?.status === 202) break;
        if (attempt > 100) throw new Error('notification never accepted');
        await new Promise((r) => setTimeout(r, 200));
      }
      return note;
    },
    async restartRedis(downMs) {
      redis.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      redis = await startRedis(redisPort, dir);
    },
    spawnWorker() {
      const cli = new URL('../../dist/src/cli.js', import.meta.url).pathname;
      if (!existsSync(cli)) throw new Error('run `npm run build` first: crash scenarios start `chartmine worker` processes');
      const child = spawn(process.execPath, [cli, 'worker'], {
        env: { ...process.env, ...bEnv, WORKERS: '2', NER_MODEL: 'none', LOG_LEVEL: 'silent', QUEUE_NAMESPACE: b.queue.namespace },
        stdio: 'ignore',
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
  };
  try {
    await withTimeout(scenario.run(world), scenario.timeoutMs, scenario.name);
    await withTimeout(settle(b), scenario.timeoutMs, `${scenario.name} settling`);
    if (proxy.seen.length > scenario.maxRequests) throw new Error(`${scenario.name}: ${proxy.seen.length} requests, bound ${scenario.maxRequests}`);
    const tally = await count(a.url, versions);
    return {
      name: scenario.name,
      sent: versions.size,
      ...tally,
      failedJobs: await b.producer.queue.getFailedCount(),
      starts: (await b.producer.queue.getJobs(['completed', 'failed'])).reduce((n, j) => n + (j.attemptsStarted ?? 0), 0),
      requests: proxy.seen.length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await b.close().catch(() => undefined);
    await proxy.close();
    await a.close().catch(() => undefined);
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function settle(b: ServerHandle): Promise<void> {
  let quiet = 0;
  while (quiet < 3) {
    await b.settled();
    const counts = await b.producer.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    quiet = Object.values(counts).every((n) => n === 0) ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function count(aUrl: string, versions: ReadonlyMap<string, string[]>): Promise<Pick<ScenarioResult, 'written' | 'lost' | 'duplicated' | 'stale'>> {
  let written = 0;
  let lost = 0;
  let duplicated = 0;
  let stale = 0;
  for (const [id, texts] of versions) {
    const response = await fetch(`${aUrl}/fhir/R4/Condition?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${id}`)}&_count=100`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const bundle = (await response.json()) as Bundle<Condition>;
    const active = (bundle.entry ?? [])
      .map((e) => e.resource as Condition)
      .filter((c) => !c.verificationStatus?.coding?.some((x) => x.code === 'entered-in-error'));
    const concepts = active.map((c) => CONCEPT_OF(c.code?.coding?.[0]?.display ?? c.code?.text ?? ''));
    const wanted = CONCEPT_OF(texts[texts.length - 1]);
    const has = concepts.filter((c) => c === wanted).length;
    const others = concepts.filter((c) => c !== wanted).length;
    if (has === 0) lost++;
    if (has > 1) duplicated++;
    if (others > 0) stale++;
    if (has === 1 && others === 0) written++;
  }
  return { written, lost, duplicated, stale };
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} exceeded ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The results as a Markdown table (the README keeps the last long run's).
 * @param results - the scenarios' results.
 * @returns the table.
 */
export function toTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => `| ${r.name} | ${r.sent} | ${r.written} | ${r.lost} | ${r.duplicated} | ${r.stale} | ${r.failedJobs} | ${r.starts} | ${r.requests} | ${r.seconds} |`);
  return ['| scenario | sent | written | lost | duplicated | stale | failed jobs | job starts | requests | s |', '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}
