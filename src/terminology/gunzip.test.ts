import { gzipSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipInOneChunk } from './load-index.js';

describe('gunzipInOneChunk', () => {
  const text = Buffer.from('C\tsct:1\tfinding\tPain\n'.repeat(20_000));
  const gz = gzipSync(text);

  it('returns what gunzipSync returns', () => {
    expect(gunzipInOneChunk(gz).equals(gunzipSync(gz))).toBe(true);
  });

  it('returns the same bytes when the last trailer understates the size (several gzip members)', () => {
    const members = Buffer.concat([gz, gzipSync(Buffer.from('T\tpain\t0\n'))]);
    expect(gunzipInOneChunk(members).equals(gunzipSync(members))).toBe(true);
  });

  it('fails as gunzipSync fails on a damaged size field', () => {
    for (const isize of [0, 10, text.length * 3, 0xffffffff]) {
      const damaged = Buffer.from(gz);
      damaged.writeUInt32LE(isize >>> 0, damaged.length - 4);
      expect(() => gunzipInOneChunk(damaged)).toThrow();
      expect(() => gunzipSync(damaged)).toThrow();
    }
  });

  it('handles an empty file', () => {
    expect(gunzipInOneChunk(gzipSync(Buffer.alloc(0))).length).toBe(0);
  });
});
