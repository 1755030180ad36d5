import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hasBagPair, IndexFormatError, parseIndexText, type IndexData } from './index-data.js';
import { INDEX_FILE, SEMANTIC_GROUPS } from './index-format.js';
import { DEFAULT_TERMINOLOGY_DIR } from './load-index.js';
import { collectGarbage } from '../observability/collect-garbage.js';

const HEADER = JSON.stringify({ format: 'chartmine-terminology/1', name: 't', version: '1' });
const BODY = ['C\tsct:1\tfinding\tPain\tsct|1|Pain\t\t', 'T\tpain\t0', 'B\tchest pain\t0', 'K\tpains'];

describe('parseIndexText', () => {
  it('reads the same records with or without a final newline and with blank lines', () => {
    const plain = parseIndexText([HEADER, ...BODY].join('\n'));
    for (const text of [[HEADER, ...BODY, ''].join('\n'), [HEADER, '', ...BODY, '', ''].join('\n')]) {
      expect(parseIndexText(text)).toEqual(plain);
    }
    expect([...plain.conceptLines]).toEqual([BODY[0]]);
    expect([...plain.terms.entries()]).toEqual([['pain', '0']]);
    expect([...plain.bags.entries()]).toEqual([['chest pain', '0']]);
    expect([...plain.knownWords]).toEqual(['pains']);
  });

  it('reads a header-only file', () => {
    expect(parseIndexText(HEADER).conceptLines.length).toBe(0);
  });

  it('names the line number of a malformed record', () => {
    const text = [HEADER, BODY[0], 'Q\tx'].join('\n');
    expect(() => parseIndexText(text)).toThrow(new IndexFormatError('line 3: unknown record type'));
  });

  it('holds one concept line per C record of the shipped index, in order', () => {
    const text = gunzipSync(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, INDEX_FILE))).toString('utf8');
    const lines = text.split('\n');
    const data = parseIndexText(text);
    const concepts = lines.filter((l) => l.startsWith('C\t'));
    expect([...data.conceptLines]).toEqual(concepts);
    expect([...data.conceptIds.keys()]).toEqual(concepts.map((l) => l.split('\t')[1]));
    expect([...data.conceptGroups].map((g) => SEMANTIC_GROUPS[g])).toEqual(concepts.map((l) => l.split('\t')[2]));
    const records = (kind: string): [string, string][] =>
      lines.filter((l) => l.startsWith(`${kind}\t`)).map((l) => l.slice(2).split('\t') as [string, string]);
    expect([...data.terms.entries()]).toEqual(records('T'));
    expect([...data.bags.entries()]).toEqual(records('B'));
  });

  it('derives the matcher\'s prefix, vocabulary and word-pair tables from the keys', () => {
    const data = parseIndexText(
      [HEADER, 'C\tsct:1\tfinding\tPain\tsct|1|Pain\t\t', 'T\ttype 2 diabetes\t0', 'B\tpain chest\t0', 'B\tback low pain\t0'].join('\n')
    );
    expect([...data.termPrefixes.keys()]).toEqual(['type', 'type 2']);
    expect([...data.vocabulary]).toEqual(['type', '2', 'diabetes']);
    expect(data.maxWordsByFirst.get('type')).toBe(3);
    expect(hasBagPair(data, 'chest', 'pain')).toBe(true);
    expect(hasBagPair(data, 'pain', 'low')).toBe(true);
    expect(hasBagPair(data, 'chest', 'low')).toBe(false);
    expect(hasBagPair(data, 'chest', 'diabetes')).toBe(false);
  });

  it('refuses a concept id, term key or bag key given twice', () => {
    for (const twice of [BODY[0], 'T\tpain\t0', 'B\tchest pain\t0']) {
      expect(() => parseIndexText([HEADER, ...BODY, twice].join('\n'))).toThrow(IndexFormatError);
    }
  });

  it('keeps no part of the file\'s text alive (the heap holds the tables, not the 26 MB text)', async () => {
    // The text is read inside a function, so that once it returns only what the index kept can hold it.
    const parseShipped = (): { data: IndexData; textLength: number } => {
      const text = gunzipSync(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, INDEX_FILE))).toString('utf8');
      return { data: parseIndexText(text), textLength: text.length };
    };
    await collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const { data, textLength } = parseShipped();
    await collectGarbage();
    const after = process.memoryUsage().heapUsed;
    expect(data.conceptLines.length).toBeGreaterThan(100_000);
    // The whole index (~13 MB) keeps less than the text alone (26 MB); the Map-based form kept 69 MB.
    expect(after - before).toBeLessThan(textLength);
  });
});
