/**
 * The gateway against a real HTTP server scripted to fail the way FHIR servers and proxies fail: the error
 * classification decides between retry, skip and give up, so it is tested on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CircuitOpenError, DocumentTooLargeError, UnsupportedContentError, UpstreamError, UpstreamRejectedError, WriteBackRejectedError } from '../errors.js';
import { loadConfig } from '../config/config.js';
import { staticBearerAuth } from './auth.js';
import { createFhirClient } from './client-factory.js';
import { FhirCircuit } from './fhir-http.js';
import { MedplumFhirGateway } from './gateway.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let base: string;
const server = createServer((req, res) => handler(req, res));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/R4/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const gateway = (timeoutMs = 2000) => new MedplumFhirGateway({ baseUrl: base, timeoutMs });
const outcome = (code: string) => JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code }] });
function answer(status: number, body = '', type = 'application/fhir+json'): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
}

describe('MedplumFhirGateway error classification', () => {
  test('a deleted note (410) and an unknown one (404) are states, not errors', async () => {
    handler = answer(410, outcome('deleted'));
    await expect(gateway().readNote('n1')).resolves.toEqual({ state: 'deleted' });
    handler = answer(404, outcome('not-found'));
    await expect(gateway().readNote('n1')).resolves.toEqual({ state: 'missing' });
  });

  test('5xx with an HTML body, 429 and timeouts are retryable', async () => {
    handler = answer(503, '<html>Service Unavailable</html>', 'text/html');
    await expect(gateway().readNote('n1')).rejects.toBeInstanceOf(UpstreamError);
    handler = answer(429, outcome('throttled'));
    await expect(gateway().readNote('n1')).rejects.toBeInstanceOf(UpstreamError);
    handler = () => undefined; // never answers
    await expect(gateway(200).readNote('n1')).rejects.toThrow(/timed out/);
  });

  test('a refused connection is retryable', async () => {
    const closed = new MedplumFhirGateway({ baseUrl: 'http://127.0.0.1:1/fhir/', timeoutMs: 1000 });
    await expect(closed.readNote('n1')).rejects.toBeInstanceOf(UpstreamError);
  });

  test('a transaction rejected as invalid is not retryable and keeps the issue codes', async () => {
    handler = answer(400, outcome('invalid'));
    const error = await gateway().executeTransaction({ resourceType: 'Bundle', type: 'transaction', entry: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteBackRejectedError);
    expect((error as WriteBackRejectedError).issueCodes).toEqual(['invalid']);
    expect((error as WriteBackRejectedError).retryable).toBe(false);
  });

  test('a version conflict on write is retryable (re-read, re-diff)', async () => {
    handler = answer(412, outcome('conflict'));
    await expect(gateway().executeTransaction({ resourceType: 'Bundle', type: 'transaction' })).rejects.toBeInstanceOf(UpstreamError);
  });

  test('403 is not retryable', async () => {
    handler = answer(403, outcome('forbidden'));
    await expect(gateway().readNote('n1')).rejects.toBeInstanceOf(UpstreamRejectedError);
  });
});

describe('MedplumFhirGateway attachments', () => {
  test('reads a Binary on the same server, as FHIR JSON or raw bytes', async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      seen.push(req.url ?? '');
      if (req.url?.endsWith('/Binary/json')) answer(200, JSON.stringify({ resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('asthma').toString('base64') }))(req, res);
      else answer(200, 'copd', 'text/plain; charset=utf-8')(req, res);
    };
    await expect(gateway().readAttachment('Binary/json', 1000)).resolves.toMatchObject({ contentType: 'text/plain', data: Buffer.from('asthma') });
    const raw = await gateway().readAttachment(`${base}Binary/raw`, 1000);
    expect(raw.data.toString()).toBe('copd');
    expect(seen).toEqual(['/fhir/R4/Binary/json', '/fhir/R4/Binary/raw']);
  });

  test('refuses URLs off the FHIR server without fetching them', async () => {
    let fetched = 0;
    handler = (req, res) => {
      fetched++;
      answer(200, 'x')(req, res);
    };
    const port = new URL(base).port;
    for (const url of ['http://169.254.169.254/latest/meta-data', `http://localhost:${port}/fhir/R4/Binary/1`, `http://127.0.0.1:${port}/admin`, 'file:///etc/passwd']) {
      await expect(gateway().readAttachment(url, 1000)).rejects.toBeInstanceOf(UnsupportedContentError);
    }
    expect(fetched).toBe(0);
  });

  test('Medplum signed storage URLs on the server\'s origin are fetched without the token; Binary/<id> with it', async () => {
    // Medplum rewrites `Binary/<id>` to `<server>/storage/<id>/<version>?Expires=…&Signature=…` (issue 13, item 2);
    // its Binary read can also answer a Binary whose `url` is that signed URL instead of `data`.
    const seen: { url: string; auth: string | undefined }[] = [];
    const origin = new URL(base).origin;
    handler = (req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (req.url?.startsWith('/storage/')) return answer(200, 'asthma', 'text/plain')(req, res);
      if (req.url === '/fhir/R4/Binary/b1') return answer(200, JSON.stringify({ resourceType: 'Binary', contentType: 'text/plain', url: `${origin}/storage/b1/2?Expires=9999999999&Signature=abc%2B%3D` }))(req, res);
      if (req.url === '/fhir/R4/Binary/hop') return void res.writeHead(302, { Location: 'http://169.254.169.254/x' }).end();
      answer(404, outcome('not-found'))(req, res);
    };
    const authed = new MedplumFhirGateway({ baseUrl: base, timeoutMs: 2000, auth: staticBearerAuth('server-token') });
    const signed = await authed.readAttachment(`${origin}/storage/b1/2?Expires=9999999999&Signature=abc`, 1000);
    expect(signed.data.toString()).toBe('asthma');
    expect(seen.at(-1)).toEqual({ url: '/storage/b1/2?Expires=9999999999&Signature=abc', auth: undefined });
    const viaBinary = await authed.readAttachment('Binary/b1', 1000);
    expect(viaBinary.data.toString()).toBe('asthma');
    expect(seen.slice(-2).map((r) => r.auth)).toEqual(['Bearer server-token', undefined]);
    const before = seen.length;
    for (const url of [`${origin}/storage/b1/2`, `${origin}/storage/b1/2?Signature=x`, `${origin}/storage/../admin?Expires=1&Signature=x`]) {
      await expect(authed.readAttachment(url, 1000)).rejects.toBeInstanceOf(UnsupportedContentError);
    }
    expect(seen.length).toBe(before);
    await expect(authed.readAttachment('Binary/hop', 1000)).rejects.toBeInstanceOf(UnsupportedContentError);
  });

  test('signed storage URLs go through the server\'s circuit breaker like every other request to it', async () => {
    // The anonymous fetch (no token) is still a request to the FHIR server: its 503s count, and an open circuit
    // refuses it without a request.
    let requests = 0;
    const origin = new URL(base).origin;
    handler = (req, res) => {
      requests++;
      answer(503, 'busy', 'text/plain')(req, res);
    };
    const circuit = new FhirCircuit(2, 60_000);
    const client = await createFhirClient(loadConfig({ FHIR_BASE_URL: base, FHIR_TOKEN: 'server-token-0123456789' }), { circuit });
    expect(client.circuit).toBe(circuit);
    const signedUrl = `${origin}/storage/b1/2?Expires=9999999999&Signature=abc`;
    for (let i = 0; i < 2; i++) await expect(client.readAttachment(signedUrl, 1000)).rejects.toBeInstanceOf(UpstreamError);
    expect(circuit.state).toBe('open');
    const before = requests;
    await expect(client.readAttachment(signedUrl, 1000)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(client.readAttachment('Binary/b1', 1000)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(requests).toBe(before);
  });

  test('the client factory gives each client the configured circuit breaker unless one is shared', async () => {
    const config = loadConfig({ FHIR_BASE_URL: base, FHIR_CIRCUIT_THRESHOLD: '1', FHIR_CIRCUIT_OPEN_MS: '60000' });
    handler = answer(503, 'busy', 'text/plain');
    const client = await createFhirClient(config);
    await expect(client.readNote('n1')).rejects.toBeInstanceOf(UpstreamError);
    expect(client.circuit?.state).toBe('open');
  });

  test('refuses content declared larger than the limit', async () => {
    handler = answer(200, 'x'.repeat(10_000), 'text/plain');
    await expect(gateway().readAttachment('Binary/big', 1000)).rejects.toBeInstanceOf(DocumentTooLargeError);
  });
});

describe('MedplumFhirGateway search pages', () => {
  test('follows links on the server; refuses a next link to another host without requesting it', async () => {
    let requests = 0;
    handler = (req, res) => {
      requests++;
      answer(200, JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [] }))(req, res);
    };
    await expect(gateway().readSearchPage(`${base}DocumentReference?_offset=20`)).resolves.toMatchObject({ type: 'searchset' });
    await expect(gateway().readSearchPage('http://169.254.169.254/DocumentReference?_offset=20')).rejects.toBeInstanceOf(UpstreamRejectedError);
    expect(requests).toBe(1);
  });
});
