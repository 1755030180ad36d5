import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Bundle, Condition } from '@medplum/fhirtypes';
import { aNote } from '../../test/builders/note.js';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands.js';
import { dispatch, EXIT_CONFIG } from './dispatch.js';

function capture(stdinText = '', env: Record<string, string> = {}): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdin: Readable.from([stdinText]), stdout, stderr, env }, out: () => out, err: () => err };
}

describe('chartmine', () => {
  test('--help lists every command; each command has its own --help', async () => {
    const top = capture();
    expect(await dispatch(['--help'], COMMANDS, top.io)).toBe(0);
    for (const name of ['serve', 'worker', 'extract', 'eval']) {
      expect(top.out()).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    for (const command of COMMANDS) {
      const c = capture();
      expect(await dispatch([command.name, '--help'], COMMANDS, c.io)).toBe(0);
      expect(c.out()).toContain(`Usage: chartmine ${command.name}`);
    }
  });

  test('an unknown command exits 2 with the list of commands', async () => {
    const c = capture();
    expect(await dispatch(['frobnicate'], COMMANDS, c.io)).toBe(2);
    expect(c.err()).toContain("unknown command 'frobnicate'");
  });

  test('invalid configuration exits 78 naming the variable', async () => {
    const c = capture('', { PORT: 'eighty' });
    expect(await dispatch(['serve'], COMMANDS, c.io)).toBe(EXIT_CONFIG);
    expect(c.err()).toMatch(/PORT/);
  });

  test('`worker` without FHIR_BASE_URL is a configuration error', async () => {
    const c = capture();
    expect(await dispatch(['worker'], COMMANDS, c.io)).toBe(EXIT_CONFIG);
    expect(c.err()).toMatch(/FHIR_BASE_URL/);
  });
});

describe('chartmine extract', () => {
  test('plain text on stdin becomes the transaction Bundle the worker would write', async () => {
    const c = capture('Hypertension, type 2 diabetes on metformin 500 mg PO BID; denies chest pain; BP 151/93, HR 77');
    expect(await dispatch(['extract', '--subject', 'Patient/p7'], COMMANDS, c.io)).toBe(0);
    const bundle = JSON.parse(c.out()) as Bundle;
    expect(bundle.type).toBe('transaction');
    const types = bundle.entry?.map((e) => e.resource?.resourceType);
    expect(types?.[0]).toBe('Device');
    expect(types?.at(-1)).toBe('Provenance');
    expect(types?.filter((t) => t === 'Condition')).toHaveLength(3);
    expect(types?.filter((t) => t === 'MedicationStatement')).toHaveLength(1);
    expect(types?.filter((t) => t === 'Observation')).toHaveLength(2);
    const conditions = bundle.entry?.map((e) => e.resource).filter((r): r is Condition => r?.resourceType === 'Condition');
    expect(conditions?.every((r) => r.subject.reference === 'Patient/p7')).toBe(true);
  });

  test('a DocumentReference JSON file keeps its id, subject and version', async () => {
    const note = aNote({ id: 'doc-9', versionId: '4', subject: 'Patient/p9', text: 'No asthma.' });
    const c = capture(JSON.stringify(note));
    expect(await dispatch(['extract', '-'], COMMANDS, c.io)).toBe(0);
    const bundle = JSON.parse(c.out()) as Bundle;
    const provenance = bundle.entry?.find((e) => e.resource?.resourceType === 'Provenance')?.resource as { entity: { what: { reference: string } }[] };
    expect(provenance.entity[0].what.reference).toBe('DocumentReference/doc-9/_history/4');
  });

  test('a bad --subject is a usage error', async () => {
    const c = capture('x');
    expect(await dispatch(['extract', '--subject', 'not a reference'], COMMANDS, c.io)).toBe(2);
  });
});
