import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Bundle } from '@medplum/fhirtypes';
import { aNote } from '../../test/builders/note.js';
import { runCli } from '../../test/support/cli.js';

/** Rules and dictionary only: these tests are about input checks, not the model. */
const ENV = { NER_MODEL: 'none' };
const dir = mkdtempSync(join(tmpdir(), 'chartmine-extract-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function aNoteJson(attachment: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment }], ...extra });
}

/** One line on stderr naming the input, exit 1, nothing on stdout. */
function expectRefused(c: { code: number; out: string; err: string }, input: string, rule: RegExp): void {
  expect(c.code, c.err).toBe(1);
  expect(c.out).toBe('');
  const lines = c.err.trim().split('\n');
  expect(lines, c.err).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^chartmine extract: ${input.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
  expect(lines[0]).toMatch(rule);
}

describe('chartmine extract checks its input as the worker does', () => {
  test('a binary file (not UTF-8) is refused, not mined for Conditions', async () => {
    const binary = file('ls.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x53, 0x49, 0xff, 0xfe, 0x48, 0x41, 0x00, 0xc3, 0x28, 0x43, 0x50]));
    expectRefused(await runCli(['extract', binary], ENV), binary, /not valid utf-8/);
  });

  test('JSON that declares a resourceType but does not parse is an error, not plain text', async () => {
    const broken = file('broken.json', '{"resourceType": "DocumentReference", "content": [ {"attachment": ');
    expectRefused(await runCli(['extract', broken], ENV), broken, /not valid UTF-8 JSON/);
  });

  test('JSON of another resource type is refused without echoing the type', async () => {
    const other = file('other.json', JSON.stringify({ resourceType: 'XSentinelType', id: 'x' }));
    const c = await runCli(['extract', other], ENV);
    expectRefused(c, other, /resourceType must be DocumentReference/);
    expect(c.err).not.toContain('XSentinelType');
  });

  test('a PDF, invalid base64, an attachment.url, no content and no subject are one-line refusals', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['pdf.json', aNoteJson({ contentType: 'application/pdf', data: Buffer.from('%PDF-1.4').toString('base64') }), /no readable attachment \(content types: application\/pdf\)/],
      ['b64.json', aNoteJson({ contentType: 'text/plain', data: '!!not*base64!!' }), /attachment\.data is not valid base64/],
      ['url.json', aNoteJson({ contentType: 'text/plain', url: 'https://files.example.org/n1' }), /attachment\.url cannot be read/],
      ['nocontent.json', JSON.stringify({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' } }), /no readable attachment/],
      ['nosubject.json', JSON.stringify({ ...aNote({ text: 'Asthma.' }), subject: undefined }), /has no subject/],
    ];
    for (const [name, content, rule] of cases) {
      const path = file(name, content);
      expectRefused(await runCli(['extract', path], ENV), path, rule);
    }
  });

  test('a file over MAX_DOCUMENT_BYTES is refused before it is analysed', async () => {
    const big = file('big.txt', 'Asthma. '.repeat(40_000));
    expectRefused(await runCli(['extract', big], { ...ENV, MAX_DOCUMENT_BYTES: '4096' }), big, /larger than any note MAX_DOCUMENT_BYTES allows/);
    const justOver = file('over.txt', 'a'.repeat(5_000));
    expectRefused(await runCli(['extract', justOver], { ...ENV, MAX_DOCUMENT_BYTES: '4096' }), justOver, /document is 5000 bytes, limit is 4096/);
  });

  test('a missing file and a directory are one-line messages', async () => {
    const missing = join(dir, 'missing.txt');
    expectRefused(await runCli(['extract', missing], ENV), missing, /no such file or directory/);
    expectRefused(await runCli(['extract', dir], ENV), dir, /not a regular file/);
  });

  test('an empty note is a warning and a Bundle without findings', async () => {
    const empty = file('empty.txt', '  \n');
    const c = await runCli(['extract', empty], ENV);
    expect(c.code, c.err).toBe(0);
    expect(c.err).toMatch(/^chartmine extract: warning: .*empty\.txt: empty note/);
    const types = (JSON.parse(c.out) as Bundle).entry?.map((e) => e.resource?.resourceType);
    expect(types).toEqual(['Device', 'AuditEvent']);
  });
});
