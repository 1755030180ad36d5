import { describe, expect, test } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { settleStartUp } from './process-lifecycle.js';

describe('settleStartUp', () => {
  test('returns the garbage start-up left before the first job, and logs the heap it keeps (sizes only)', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    // ~64 MB that start-up held (so it reached the old generation, where only a full GC frees it) and then let go,
    // as loading an index does with the decompressed text.
    let held: number[][] | undefined = Array.from({ length: 64 }, (_, i) => new Array<number>(131_072).fill(i));
    expect(held.reduce((n, a) => n + a.length, 0)).toBe(64 * 131_072);
    held = undefined;
    expect(held).toBeUndefined();
    const before = process.memoryUsage().heapUsed;
    await settleStartUp(log);
    const after = process.memoryUsage().heapUsed;
    expect(before - after).toBeGreaterThan(32 * 2 ** 20);
    const logged = lines.find((l) => l.msg === 'start-up garbage collected');
    expect(logged).toMatchObject({ heapUsedMb: expect.any(Number), rssMb: expect.any(Number) });
    expect(Math.abs(Number(logged?.heapUsedMb) - after / 2 ** 20)).toBeLessThan(2);
  });
});
