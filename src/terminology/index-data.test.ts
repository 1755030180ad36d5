import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IndexFormatError, parseIndexText } from './index-data.js';
import { INDEX_FILE } from './index-format.js';
import { DEFAULT_TERMINOLOGY_DIR } from './load-index.js';

const HEADER = JSON.stringify({ format: 'chartmine-terminology/1', name: 't', version: '1' });
const BODY = ['C\tsct:1\tfinding\tPain\tsct|1|Pain\t\t', 'T\tpain\t0', 'B\tchest pain\t0', 'K\tpains'];

describe('parseIndexText', () => {
  it('reads the same records with or without a final newline and with blank lines', () => {
    const plain = parseIndexText([HEADER, ...BODY].join('\n'));
    for (const text of [[HEADER, ...BODY, ''].join('\n'), [HEADER, '', ...BODY, '', ''].join('\n')]) {
      expect(parseIndexText(text)).toEqual(plain);
    }
    expect(plain.conceptLines).toEqual([BODY[0]]);
    expect([...plain.terms]).toEqual([['pain', '0']]);
    expect([...plain.bags]).toEqual([['chest pain', '0']]);
    expect([...plain.knownWords]).toEqual(['pains']);
  });

  it('reads a header-only file', () => {
    expect(parseIndexText(HEADER).conceptLines).toEqual([]);
  });

  it('names the line number of a malformed record', () => {
    const text = [HEADER, BODY[0], 'Q\tx'].join('\n');
    expect(() => parseIndexText(text)).toThrow(new IndexFormatError('line 3: unknown record type'));
  });

  it('holds one concept line per C record of the shipped index, in order', () => {
    const text = gunzipSync(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, INDEX_FILE))).toString('utf8');
    const lines = text.split('\n');
    const data = parseIndexText(text);
    expect(data.conceptLines).toEqual(lines.filter((l) => l.startsWith('C\t')));
    expect(data.terms.size).toBe(lines.filter((l) => l.startsWith('T\t')).length);
    expect(data.bags.size).toBe(lines.filter((l) => l.startsWith('B\t')).length);
  });
});
