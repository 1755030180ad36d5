import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError, UpstreamRejectedError } from '../../errors.js';
import { loadTerminologyIndex } from '../load-index.js';
import { ICD10CM, LOINC, SNOMED } from '../systems.js';
import { createTerminologyService } from '../terminology-service.js';
import { FhirTerminologyClient } from './fhir-terminology-client.js';
import { createMemoryTerminologyCache, createRedisTerminologyCache } from './terminology-cache.js';
import type { RedisLike } from './terminology-cache.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const requests: string[] = [];
let server: Server;
let baseUrl: string;
let mode: 'ok' | 'down' | 'forbidden' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/fhir+json' }).end(body);
    };
    if (mode === 'down') return send(503, '{"resourceType":"OperationOutcome"}');
    if (mode === 'forbidden') return send(403, '{"resourceType":"OperationOutcome"}');
    const q = url.searchParams;
    if (url.pathname === '/fhir/CodeSystem/$lookup' && q.get('system') === LOINC && q.get('code') === '1963-8') {
      return send(200, fixture('lookup-loinc-1963-8.json'));
    }
    if (url.pathname === '/fhir/CodeSystem/$validate-code' && q.get('code') === '3092008') {
      return send(200, fixture('validate-code-wrong-display.json'));
    }
    if (url.pathname === '/fhir/ConceptMap/$translate' && q.get('code') === '78275009' && q.get('targetsystem') === ICD10CM) {
      return send(200, fixture('translate-snomed-icd10cm.json'));
    }
    if (url.pathname === '/fhir/ConceptMap/$translate' && q.get('code') === '1201005') return send(200, fixture('translate-r5.json'));
    return send(404, '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
});
afterAll(() => {
  server.close();
});
beforeEach(() => {
  requests.length = 0;
  mode = 'ok';
});

describe('FhirTerminologyClient against a local FHIR terminology server', () => {
  it('$lookup returns the display, name and version', async () => {
    const client = new FhirTerminologyClient({ baseUrl });
    expect(await client.lookup(LOINC, '1963-8')).toEqual({
      system: LOINC,
      code: '1963-8',
      display: 'Bicarbonate [Moles/volume] in Serum',
      name: 'LOINC',
      version: '2.48',
    });
    expect(requests[0]).toContain('/fhir/CodeSystem/$lookup?system=http%3A%2F%2Floinc.org&code=1963-8');
    expect(await client.lookup(LOINC, '0000-0')).toBeUndefined();
  });

  it('$validate-code reports result, message and the correct display', async () => {
    const client = new FhirTerminologyClient({ baseUrl });
    expect(await client.validateCode(SNOMED, '3092008', 'Staphylococcus Aureus')).toEqual({
      result: false,
      message: 'The display "Staphylococcus Aureus" is incorrect',
      display: 'Staphylococcus aureus',
    });
    expect((await client.validateCode(SNOMED, '999')).result).toBe(false);
  });

  it('$translate keeps usable matches (R4 equivalence and R5 relationship)', async () => {
    const client = new FhirTerminologyClient({ baseUrl });
    expect(await client.translate(SNOMED, '78275009', ICD10CM)).toEqual([
      { equivalence: 'equivalent', coding: { system: ICD10CM, code: 'G47.33', display: 'Obstructive sleep apnea (adult) (pediatric)' } },
    ]);
    expect((await client.translate(SNOMED, '1201005', ICD10CM)).map((m) => m.coding.code)).toEqual(['I10']);
    expect(await client.translate(SNOMED, '404', ICD10CM)).toEqual([]);
  });

  it('caches answers, including "not found"', async () => {
    const client = new FhirTerminologyClient({ baseUrl, cache: createMemoryTerminologyCache() });
    await client.lookup(LOINC, '1963-8');
    await client.lookup(LOINC, '1963-8');
    await client.lookup(LOINC, '0000-0');
    await client.lookup(LOINC, '0000-0');
    expect(requests).toHaveLength(2);
  });

  it('classifies failures: 5xx and network are retryable, 403 is not; messages carry no codes', async () => {
    mode = 'down';
    const client = new FhirTerminologyClient({ baseUrl });
    const down = await client.lookup(LOINC, '1963-8').catch((e: unknown) => e);
    expect(down).toBeInstanceOf(UpstreamError);
    expect((down as UpstreamError).retryable).toBe(true);
    expect((down as Error).message).not.toContain('1963-8');
    mode = 'forbidden';
    const forbidden = await client.lookup(LOINC, '1963-8').catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(UpstreamRejectedError);
    const unreachable = new FhirTerminologyClient({ baseUrl: 'http://127.0.0.1:1/fhir', timeoutMs: 2000 });
    await expect(unreachable.lookup(LOINC, '1963-8')).rejects.toBeInstanceOf(UpstreamError);
  });

  it('a failing cache is a miss, never a failure', async () => {
    const broken: RedisLike = { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) };
    const cache = createRedisTerminologyCache(broken, 'test:');
    const client = new FhirTerminologyClient({ baseUrl, cache });
    expect((await client.lookup(LOINC, '1963-8'))?.display).toBe('Bicarbonate [Moles/volume] in Serum');
    expect(cache.stats.errors).toBe(2);
  });
});

describe('TerminologyService: index first, server for the rest', () => {
  it('uses the index when it knows the code and the server otherwise', async () => {
    const index = await loadTerminologyIndex();
    const service = createTerminologyService({ index, server: new FhirTerminologyClient({ baseUrl }) });
    expect(await service.resolveCoding(SNOMED, '38341003')).toMatchObject({ display: 'Hypertensive disorder', source: 'index' });
    expect(requests).toHaveLength(0);
    expect(await service.resolveCoding(LOINC, '1963-8')).toMatchObject({ display: 'Bicarbonate [Moles/volume] in Serum', source: 'server' });
    expect((await service.toIcd10cm('38341003')).map((c) => c.code)).toEqual(['I10']);
    expect(await service.toIcd10cm('78275009')).toEqual([{ system: ICD10CM, code: 'G47.33', display: 'Obstructive sleep apnea (adult) (pediatric)' }]);
    expect(await service.validateCode(SNOMED, '38341003')).toBe(true);
    expect(await service.validateCode(SNOMED, '999')).toBe(false);
    const offline = createTerminologyService({ index });
    expect(await offline.resolveCoding(LOINC, '1963-8')).toBeUndefined();
  });
});
