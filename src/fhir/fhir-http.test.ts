import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CircuitOpenError, UpstreamError } from '../errors.js';
import { createFhirFetch, FhirCircuit, withFhirDeadline } from './fhir-http.js';
import { isTransientStatus, readTransactionOutcome } from './transaction-outcome.js';

let server: Server;
let url = '';
beforeAll(async () => {
  // A server that never answers /hang and answers /ok at once.
  server = createServer((req, res) => {
    if (req.url === '/ok') res.end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('one deadline per step', () => {
  test('two hanging requests in one step wait for the step deadline once, not the request timeout twice', async () => {
    const fetchFhir = createFhirFetch(5_000);
    const started = Date.now();
    await expect(
      withFhirDeadline(400, async () => {
        await fetchFhir(`${url}/hang`).catch(() => undefined);
        await fetchFhir(`${url}/hang`);
      })
    ).rejects.toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('circuit breaker', () => {
  test('opens after the threshold of timeouts, fails fast while open, lets a probe through after, closes on an answer', async () => {
    let now = 0;
    const circuit = new FhirCircuit(2, 1_000, () => now);
    const fetchFhir = createFhirFetch(150, fetch, circuit);
    await expect(fetchFhir(`${url}/hang`)).rejects.toBeInstanceOf(UpstreamError);
    expect(circuit.state).toBe('closed');
    await expect(fetchFhir(`${url}/hang`)).rejects.toBeInstanceOf(UpstreamError);
    expect(circuit.state).toBe('open');
    expect(circuit.retryAt()).toBe(1_000);
    const started = Date.now();
    await expect(fetchFhir(`${url}/ok`)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(Date.now() - started).toBeLessThan(50);
    now = 1_000;
    expect(circuit.state).toBe('half-open');
    await fetchFhir(`${url}/ok`);
    expect(circuit.state).toBe('closed');
  });
});

describe('transaction outcome', () => {
  test('reads each entry status; refused entries are named by index and type', () => {
    const request = {
      resourceType: 'Bundle' as const,
      type: 'transaction' as const,
      entry: [
        { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Condition' as const, subject: {} }, request: { method: 'POST' as const, url: 'Condition' } },
        { resource: { resourceType: 'Observation' as const, status: 'final' as const, code: {} }, request: { method: 'POST' as const, url: 'Observation' } },
        { resource: { resourceType: 'Condition' as const, id: 'c9', subject: {} }, request: { method: 'PUT' as const, url: 'Condition/c9' } },
      ],
    };
    const response = {
      resourceType: 'Bundle' as const,
      type: 'transaction-response' as const,
      entry: [
        { response: { status: '201 Created', location: 'Condition/c1/_history/1' } },
        { response: { status: '403', outcome: { resourceType: 'OperationOutcome' as const, issue: [] } } },
        { response: { status: '200', etag: 'W/"4"' } },
      ],
    };
    expect(readTransactionOutcome(request, response)).toEqual({
      committed: [
        { index: 0, method: 'POST', resourceType: 'Condition', id: 'c1', versionId: '1' },
        { index: 2, method: 'PUT', resourceType: 'Condition', id: 'c9', versionId: '4' },
      ],
      refused: [{ index: 1, resourceType: 'Observation', status: 403 }],
    });
    expect(isTransientStatus(403)).toBe(false);
    expect(isTransientStatus(503)).toBe(true);
  });
});
