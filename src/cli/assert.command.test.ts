import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { assertCommand } from './assert.command.js';
import { COMMANDS } from './commands.js';

async function runAssert(lines: string[]): Promise<{ code: number; out: Record<string, unknown>[]; raw: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await assertCommand.run([], {
    stdin: Readable.from([lines.join('\n')]),
    stdout,
    stderr: new PassThrough(),
    env: {},
  });
  const raw = Buffer.concat(chunks).toString('utf8');
  return { code, raw, out: raw.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('chartmine assert', () => {
  test('is registered', () => {
    expect(COMMANDS.map((c) => c.name)).toContain('assert');
  });

  test('one JSON line out per JSON line in, in order', async () => {
    const { code, out } = await runAssert([
      JSON.stringify({ text: 'No fever, chills or cough.', target: 'cough' }),
      JSON.stringify({ text: 'Mother has type 2 diabetes.', target: 'type 2 diabetes' }),
      JSON.stringify({ text: 'History of stroke.', target: 'stroke' }),
      JSON.stringify({ text: 'Return if chest pain recurs.', target: 'chest pain' }),
      JSON.stringify({ text: 'Rule out pneumonia.', target: 'pneumonia' }),
      JSON.stringify({ text: 'Pain in the knee; pain in the hip.', target: 'pain', span: [18, 22] }),
      JSON.stringify({ text: 'FAMILY HISTORY: Breast cancer.', target: 'Breast cancer' }),
    ]);
    expect(code).toBe(0);
    expect(out.map((o) => o.assertion)).toEqual(['negated', 'family', 'historical', 'hypothetical', 'possible', 'affirmed', 'family']);
    expect(out[1]).toMatchObject({ relative: 'MTH', span: [11, 26], context: { experiencer: 'family' } });
    expect(out[5].span).toEqual([18, 22]);
    expect(out[6].relative).toBe('FAMMEMB');
    expect(out[0].relative).toBeUndefined();
  });

  test('bad lines get an error naming the line only, and exit code 1', async () => {
    const secret = 'Jane Roe';
    const { code, out, raw } = await runAssert([
      'not json',
      JSON.stringify({ text: `${secret} is well`, target: 'fever' }),
      JSON.stringify({ text: `${secret} is well`, target: 'well', span: [0, 3] }),
      JSON.stringify({ text: 'No fever.', target: 'fever' }),
    ]);
    expect(code).toBe(1);
    expect(out.map((o) => Object.keys(o)[0])).toEqual(['error', 'error', 'error', 'assertion']);
    expect(out[1].error).toMatch(/^line 2:/);
    expect(raw).not.toContain(secret);
  });
});
