import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Bundle, Condition } from '@medplum/fhirtypes';
import { aNote } from '../../test/builders/note.js';
import { runCli } from '../../test/support/cli.js';
import { COMMANDS } from './commands.js';
import type { CommandEntry } from './command.js';
import { dispatch, EXIT_CONFIG } from './dispatch.js';

describe('chartmine', () => {
  test('--help lists every command; each command has its own --help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['serve', 'worker', 'extract', 'eval']) {
      expect(top.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    for (const command of COMMANDS) {
      const c = await runCli([command.name, '--help']);
      expect(c.code).toBe(0);
      expect(c.out).toContain(`Usage: chartmine ${command.name}`);
    }
  });

  test('every registered command loads the command of its own name', async () => {
    for (const entry of COMMANDS) expect((await entry.load()).name).toBe(entry.name);
  });

  test('commands are loaded only when asked for: --help and --version load none, `help x` and `x` load only x', async () => {
    const loaded: string[] = [];
    const entry = (name: string): CommandEntry => ({
      name,
      summary: `the ${name} command`,
      load: () => {
        loaded.push(name);
        return Promise.resolve({ name, help: `Usage: chartmine ${name}`, run: () => Promise.resolve(0) });
      },
    });
    const registry = [entry('one'), entry('two')];
    const io = { stdin: Readable.from(['']), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
    expect(await dispatch(['--help'], registry, io)).toBe(0);
    expect(await dispatch(['--version'], registry, io)).toBe(0);
    expect(await dispatch(['nothing'], registry, io)).toBe(2);
    expect(loaded).toEqual([]);
    expect(await dispatch(['help', 'two'], registry, io)).toBe(0);
    expect(await dispatch(['one', '--help'], registry, io)).toBe(0);
    expect(loaded).toEqual(['two', 'one']);
  });

  test('an unknown command exits 2 with the list of commands', async () => {
    const c = await runCli(['frobnicate']);
    expect(c.code).toBe(2);
    expect(c.err).toContain("unknown command 'frobnicate'");
  });

  test('invalid configuration exits 78 naming the variable', async () => {
    const c = await runCli(['serve'], { PORT: 'eighty' });
    expect(c.code).toBe(EXIT_CONFIG);
    expect(c.err).toMatch(/PORT/);
  });

  test('`worker` without FHIR_BASE_URL is a configuration error', async () => {
    const c = await runCli(['worker']);
    expect(c.code).toBe(EXIT_CONFIG);
    expect(c.err).toMatch(/FHIR_BASE_URL/);
  });
});

describe('chartmine extract', () => {
  test('plain text on stdin becomes the transaction Bundle the worker would write', async () => {
    const c = await runCli(['extract', '--subject', 'Patient/p7'], {}, 'Hypertension, type 2 diabetes on metformin 500 mg PO BID; denies chest pain; BP 151/93, HR 77');
    expect(c.code).toBe(0);
    const bundle = JSON.parse(c.out) as Bundle;
    expect(bundle.type).toBe('transaction');
    const types = bundle.entry?.map((e) => e.resource?.resourceType);
    expect(types?.[0]).toBe('Device');
    expect(types?.at(-2)).toBe('Provenance');
    expect(types?.at(-1)).toBe('AuditEvent');
    expect(types?.filter((t) => t === 'Condition')).toHaveLength(3);
    expect(types?.filter((t) => t === 'MedicationStatement')).toHaveLength(1);
    expect(types?.filter((t) => t === 'Observation')).toHaveLength(2);
    const conditions = bundle.entry?.map((e) => e.resource).filter((r): r is Condition => r?.resourceType === 'Condition');
    expect(conditions?.every((r) => r.subject.reference === 'Patient/p7')).toBe(true);
  });

  test('a DocumentReference JSON file keeps its id, subject and version', async () => {
    const note = aNote({ id: 'doc-9', versionId: '4', subject: 'Patient/p9', text: 'No asthma.' });
    const c = await runCli(['extract', '-'], {}, JSON.stringify(note));
    expect(c.code).toBe(0);
    const bundle = JSON.parse(c.out) as Bundle;
    const provenance = bundle.entry?.find((e) => e.resource?.resourceType === 'Provenance')?.resource as { entity: { what: { reference: string } }[] };
    expect(provenance.entity[0].what.reference).toBe('DocumentReference/doc-9/_history/4');
  });

  test('several files are analysed concurrently and printed in input order, one Bundle per line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chartmine-extract-'));
    const ids = ['a1', 'b2', 'c3', 'd4', 'e5'];
    const texts = ['Long note. '.repeat(400) + 'Asthma.', 'Hypertension.', 'No fever.', 'Metformin 500 mg BID.', 'Gout.'];
    const files = ids.map((id, i) => {
      const file = join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify(aNote({ id, versionId: '1', text: texts[i] })));
      return file;
    });
    try {
      const c = await runCli(['extract', '--concurrency', '3', ...files]);
      expect(c.code, c.err).toBe(0);
      const lines = c.out.trim().split('\n');
      const sources = lines.map((l) => {
        const provenance = (JSON.parse(l) as Bundle).entry?.find((e) => e.resource?.resourceType === 'Provenance')?.resource as { entity: { what: { reference: string } }[] };
        return provenance.entity[0].what.reference;
      });
      expect(sources).toEqual(ids.map((id) => `DocumentReference/${id}/_history/1`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a configured NER model that cannot be found is a configuration error naming it', async () => {
    const c = await runCli(['extract'], { NER_MODEL: 'no-such-model' }, 'asthma');
    expect(c.code).toBe(EXIT_CONFIG);
    expect(c.err).toMatch(/NER_MODEL: model 'no-such-model' not found/);
  });

  test('a bad --subject is a usage error', async () => {
    const c = await runCli(['extract', '--subject', 'not a reference'], {}, 'x');
    expect(c.code).toBe(2);
  });
});

describe('chartmine eval', () => {
  test('a data directory without the suite\'s files is a one-line message naming the file, exit code 1', async () => {
    for (const [suite, file] of [
      ['bc5cdr', 'BC5CDR-IOB/test.tsv'],
      ['ncbi', 'NCBI-disease-IOB/test.tsv'],
      ['mtsamples', 'mtsamples/mtsamples.csv.gz'],
      ['synthea', 'synthea-fhir/'],
      ['negex', 'negex-context/'],
      ['sentiment', 'druglib-reviews/drugLibTest_raw.tsv'],
    ]) {
      const c = await runCli(['eval', suite, '--data', '/nonexistent-data']);
      expect(c.code, suite).toBe(1);
      expect(c.err, suite).toMatch(new RegExp(`^chartmine eval: missing .*pass --data DIR.*: /nonexistent-data/${file}`));
      expect(c.err.trim().split('\n'), suite).toHaveLength(1);
    }
  });
});
