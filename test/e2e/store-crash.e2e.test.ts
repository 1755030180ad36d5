/**
 * Kill -9 during a stream of writes and transactions (issue 12 item 5): a child process writes to the embedded store
 * in a DATA_DIR without pause; it is killed with SIGKILL at a random moment, three times over the same folder; after
 * each restart every acknowledged write is there and no transaction is half-applied.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import type { Basic, Bundle, Condition, Resource } from '@medplum/fhirtypes';
import { EmbeddedFhirStore } from '../../src/embedded/embedded-store.js';
import { buildEmbeddedCapabilityStatement } from '../../src/fhir/capability-statement.js';

/** Kills over the same folder (each restart loads what the previous kills left). */
const ROUNDS = 3;
const CHILD = fileURLToPath(new URL('../support/store-writer-child.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'chartmine-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Acks {
  writes: Map<number, string>;
  txns: Set<number>;
  counterId: string | undefined;
}

/** Runs the writer until it has acknowledged `killAfter` writes plus a random few, then SIGKILLs it. */
async function runAndKill(killAfter: number, run: string): Promise<Acks> {
  const child = spawn(process.execPath, [CHILD, dir, String(256 * 1024), run], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const acks: Acks = { writes: new Map(), txns: new Set(), counterId: undefined };
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const target = killAfter + Math.floor(Math.random() * 50);
  let count = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, what, n, id] = line.split(' ');
    if (kind === 'counter') acks.counterId = what;
    if (kind === 'ack' && what === 'write') acks.writes.set(Number(n), id);
    if (kind === 'ack' && what === 'txn') acks.txns.add(Number(n));
    if (kind === 'ack' && ++count === target) {
      // Let it get into the middle of the next writes: kill after a random sub-millisecond to few-ms delay.
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 5);
    }
  }
  expect(await exited, stderr).toBe('SIGKILL');
  return acks;
}

async function call(store: EmbeddedFhirStore, path: string, query = ''): Promise<{ status: number; body: Resource }> {
  return store.handle({ method: 'GET', path, query: new URLSearchParams(query), body: undefined, headers: {}, baseUrl: 'http://fhir.test/fhir/R4' });
}

test('every acknowledged write survives kill -9, and no transaction is half-applied', { timeout: 180_000 }, async () => {
  const statement = buildEmbeddedCapabilityStatement('test', '2026-01-01');
  let expectedWrites = 0;
  let tornSeen = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const run = `r${round}`;
    const acks = await runAndKill(150, run);
    const store = await EmbeddedFhirStore.open(statement, { dataDir: dir });
    if (store.loadReport?.tornBytes) tornSeen++;
    try {
      for (const [n, id] of acks.writes) {
        const read = await call(store, `Condition/${id}`);
        expect(read.status, `write ${n} of round ${round}`).toBe(200);
        expect((read.body as Condition).code?.text).toBe(`w-${run}-${n}`);
      }
      // Every transaction the writer started is either whole (3 Conditions) or absent; acknowledged ones are whole.
      const maxN = Math.max(...acks.txns, ...acks.writes.keys()) + 2;
      let lastWhole = 0;
      for (let n = 1; n <= maxN; n += 2) {
        const found = ((await call(store, 'Condition', `_tag=urn:txn|txn-${run}-${n}&_count=10`)).body as Bundle).total;
        expect([0, 3], `transaction ${n} of round ${round}`).toContain(found);
        if (acks.txns.has(n)) expect(found, `acknowledged transaction ${n}`).toBe(3);
        if (found === 3) lastWhole = n;
      }
      // The counter each transaction set moved with its transaction, not apart from it.
      const counter = (await call(store, `Basic/${acks.counterId}`)).body as Basic;
      expect(counter.code?.text).toBe(String(lastWhole));
      expectedWrites += acks.writes.size;
    } finally {
      await store.close();
    }
  }
  expect(expectedWrites).toBeGreaterThan(100);
  // Not asserted (timing), but reported: how many kills landed inside a journal write.
  console.info(`store crash test: ${expectedWrites} acknowledged writes checked over ${ROUNDS} kills; ${tornSeen} torn tails cut off`);
});
