import { describe, expect, test } from 'vitest';
import { buildReadBatch, toReadResult, type FhirRead } from './batch-reads.js';

const search: FhirRead = { kind: 'search', resourceType: 'Condition', params: [['_tag', 's|n1']] };
const read: FhirRead = { kind: 'read', resourceType: 'DocumentReference', id: 'n1' };

describe('batch reads', () => {
  test('a batch of GET entries, searches with the page size', () => {
    const bundle = buildReadBatch([read, search], 500);
    expect(bundle.type).toBe('batch');
    expect(bundle.entry?.map((e) => e.request)).toEqual([
      { method: 'GET', url: 'DocumentReference/n1' },
      { method: 'GET', url: 'Condition?_tag=s%7Cn1&_count=500' },
    ]);
  });

  test('plain answers are taken; anything else is read again on its own (undefined)', () => {
    const note = { resourceType: 'DocumentReference', id: 'n1' };
    expect(toReadResult(read, { response: { status: '200 OK' }, resource: note as never }, 500)).toEqual({ kind: 'read', state: 'found', resource: note });
    expect(toReadResult(read, { response: { status: '410 Gone' } }, 500)).toBeUndefined();
    expect(toReadResult(read, { response: { status: '200' }, resource: { ...note, id: 'n2' } as never }, 500)).toBeUndefined();
    const page = (entries: number, extra: object = {}) => ({
      response: { status: '200' },
      resource: { resourceType: 'Bundle', type: 'searchset', entry: Array.from({ length: entries }, (_, i) => ({ resource: { resourceType: 'Condition', id: `c${i}` } })), ...extra } as never,
    });
    expect(toReadResult(search, page(2, { total: 2 }), 500)).toEqual({ kind: 'search', resources: [{ resourceType: 'Condition', id: 'c0' }, { resourceType: 'Condition', id: 'c1' }] });
    expect(toReadResult(search, page(2, { total: 3 }), 500)).toBeUndefined(); // more than this page
    expect(toReadResult(search, page(2, { link: [{ relation: 'next', url: 'x' }] }), 500)).toBeUndefined();
    expect(toReadResult(search, page(3), 3)).toBeUndefined(); // a full page without a total may have more
    expect(toReadResult(search, undefined, 500)).toBeUndefined();
  });
});
