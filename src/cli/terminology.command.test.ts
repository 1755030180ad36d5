import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands.js';
import { dispatch } from './dispatch.js';

function io(stdinText = ''): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: '', err: '' };
  stdout.on('data', (d: Buffer) => (chunks.out += d.toString()));
  stderr.on('data', (d: Buffer) => (chunks.err += d.toString()));
  const stdin = new PassThrough();
  stdin.end(stdinText);
  return { stdin, stdout, stderr, env: {}, out: () => chunks.out, err: () => chunks.err };
}

describe('chartmine terminology', () => {
  it('match prints coded spans as JSON lines', async () => {
    const s = io('HTN and T2DM on metformin');
    expect(await dispatch(['terminology', 'match'], COMMANDS, s)).toBe(0);
    const lines = s.out().trim().split('\n').map((l) => JSON.parse(l) as { id: string; start: number });
    expect(lines.map((l) => l.id)).toEqual(['sct:38341003', 'sct:44054006', 'rx:6809']);
  });

  it('info reports name, version, sha256, load time and look-up latency', async () => {
    const s = io();
    expect(await dispatch(['terminology', 'info', '--json'], COMMANDS, s)).toBe(0);
    const info = JSON.parse(s.out()) as { name: string; sha256: string; loadMs: number; lookupMicros: number };
    expect(info.name).toBe('chartmine-default');
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.loadMs).toBeGreaterThan(0);
    expect(info.lookupMicros).toBeGreaterThan(0);
  });

  it('build names the missing input and exits 1', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'chartmine-build-'));
    const s = io();
    expect(await dispatch(['terminology', 'build', '--data', empty, '--out', empty], COMMANDS, s)).toBe(1);
    expect(s.err()).toContain('missing build input');
    await rm(empty, { recursive: true, force: true });
  });

  it('import without a release is a usage error', async () => {
    const s = io();
    expect(await dispatch(['terminology', 'import', '--out', tmpdir()], COMMANDS, s)).toBe(2);
    expect(s.err()).toContain('--snomed');
  });
});
