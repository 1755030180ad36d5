/**
 * `npm run test:faults`: the fault suite (README "Failure behaviour"). The short set runs inside `npm test` (about
 * a minute in all); `FAULTS=long npm run test:faults` runs the long set (worker processes killed with SIGKILL,
 * Redis killed and restarted under load, a long outage, a slow and a hanging server, a version race), which starts
 * `chartmine worker` processes from `dist/` (the script builds first). Every scenario must end with 0 lost,
 * 0 duplicated and 0 stale.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { runScenario, TEXTS, toTable, type Scenario, type ScenarioResult, type World } from './fault-suite.js';

const LONG = process.env.FAULTS === 'long';
const results: ScenarioResult[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` new notes, one version each. */
async function newNotes(world: World, n: number, gapMs = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await world.write(undefined, TEXTS[i % 2])).id ?? '');
    if (gapMs) await sleep(gapMs);
  }
  return ids;
}

/** Every note rewritten `rounds` times, back to back (versions race each other through the workers). */
async function versionRace(world: World, notes: number, rounds: number): Promise<void> {
  const ids = await newNotes(world, notes);
  for (let r = 1; r <= rounds; r++) {
    await Promise.all(ids.map((id, i) => world.write(id, TEXTS[(i + r) % 2])));
  }
}

const short: Scenario[] = [
  {
    name: 'slow server (100 ms a request)',
    timeoutMs: 30_000,
    maxRequests: 600,
    run: async (w) => {
      w.proxy.faults.delayMs = 100;
      await newNotes(w, 4);
    },
  },
  {
    name: 'version race (3 versions a note)',
    timeoutMs: 30_000,
    maxRequests: 1500,
    run: async (w) => {
      w.proxy.faults.delayMs = 40;
      await versionRace(w, 4, 2);
    },
  },
  {
    name: 'outage (503 for 2 s)',
    timeoutMs: 40_000,
    maxRequests: 800,
    env: { FHIR_CIRCUIT_THRESHOLD: '2' },
    run: async (w) => {
      w.proxy.faults.status = 503;
      await newNotes(w, 4);
      await sleep(2_000);
      w.proxy.faults.status = undefined;
    },
  },
  {
    name: 'hanging server (2 s)',
    timeoutMs: 40_000,
    maxRequests: 800,
    env: { FHIR_TIMEOUT_MS: '1000', FHIR_CIRCUIT_THRESHOLD: '2' },
    run: async (w) => {
      w.proxy.faults.hang = true;
      await newNotes(w, 3);
      await sleep(2_000);
      w.proxy.faults.hang = false;
    },
  },
];

const long: Scenario[] = [
  {
    name: 'worker processes killed (SIGKILL x10)',
    timeoutMs: 240_000,
    maxRequests: 20_000,
    workers: 0,
    run: async (w) => {
      const workers = [w.spawnWorker(), w.spawnWorker()];
      w.proxy.faults.delayMs = 30;
      const writing = versionRace(w, 20, 2);
      for (let k = 0; k < 10; k++) {
        await sleep(1_500);
        const victim = workers.shift();
        victim?.kill('SIGKILL');
        workers.push(w.spawnWorker());
      }
      await writing;
    },
  },
  {
    name: 'Redis killed and restarted under load (5 s down)',
    timeoutMs: 180_000,
    maxRequests: 10_000,
    run: async (w) => {
      w.proxy.faults.delayMs = 30;
      const writing = newNotes(w, 30, 100);
      await sleep(1_000);
      await w.restartRedis(5_000);
      await writing;
    },
  },
  {
    name: 'outage (503 for 60 s)',
    timeoutMs: 240_000,
    maxRequests: 5_000,
    run: async (w) => {
      w.proxy.faults.status = 503;
      await newNotes(w, 20);
      await sleep(60_000);
      w.proxy.faults.status = undefined;
    },
  },
  {
    name: 'hanging server (60 s)',
    timeoutMs: 240_000,
    maxRequests: 5_000,
    env: { FHIR_TIMEOUT_MS: '5000' },
    run: async (w) => {
      w.proxy.faults.hang = true;
      await newNotes(w, 20);
      await sleep(60_000);
      w.proxy.faults.hang = false;
    },
  },
  {
    name: 'slow server (1 s a request)',
    timeoutMs: 240_000,
    maxRequests: 5_000,
    run: async (w) => {
      w.proxy.faults.delayMs = 1_000;
      await newNotes(w, 10);
    },
  },
  {
    name: 'version race (20 notes x 5 versions)',
    timeoutMs: 240_000,
    maxRequests: 30_000,
    run: async (w) => {
      w.proxy.faults.delayMs = 50;
      await versionRace(w, 20, 4);
    },
  },
];

afterAll(() => {
  process.stdout.write(`\nfault suite (${LONG ? 'long' : 'short'}):\n${toTable(results)}\n`);
});

describe(`fault suite (${LONG ? 'long' : 'short'})`, () => {
  for (const scenario of LONG ? long : short) {
    test(
      scenario.name,
      async () => {
        const result = await runScenario(scenario);
        results.push(result);
        expect({ lost: result.lost, duplicated: result.duplicated, stale: result.stale, written: result.written }).toEqual({
          lost: 0,
          duplicated: 0,
          stale: 0,
          written: result.sent,
        });
      },
      scenario.timeoutMs * 2 + 30_000
    );
  }
});
