/**
 * A fault-injecting HTTP proxy in front of a real FHIR endpoint (the embedded store of a test server), on loopback.
 * Its `faults` can be changed while it runs:
 * - `delayMs`: every request is held this long before it is forwarded (a slow server);
 * - `hang`: requests are held until `hang` is turned off (then forwarded) or the proxy closes (a hanging server);
 * - `status`: answer every request with this status and an OperationOutcome (an outage: 503);
 * - `nonAtomic`: run `transaction` Bundles entry by entry, as Medplum does for a project without the
 *   `transaction-bundles` feature: each entry is sent to the real store on its own (`urn:uuid` references resolved
 *   to the ids already assigned), an entry of a type in `forbidden` is answered with a `403` error entry carrying an
 *   OperationOutcome (what an AccessPolicy refusal looks like), and the whole answer is a `200`
 *   `transaction-response` (observed on Medplum 4.5.2, issue 13 item 3).
 * Response bodies have the target's origin rewritten to the proxy's, so paging links come back through it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';

/** What the proxy does to requests now. */
export interface Faults {
  delayMs?: number;
  hang?: boolean;
  status?: number;
  nonAtomic?: { readonly forbidden: readonly string[] };
}

/** A running proxy. */
export interface FaultProxy {
  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly faults: Faults;
  /** Requests received, by `METHOD path-without-query`. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * Starts a proxy forwarding to `targetOrigin`.
 * @param targetOrigin - e.g. the test server's URL (its `/fhir/R4` is the FHIR endpoint).
 * @param faults - the initial faults.
 * @returns the proxy.
 */
export async function startFaultProxy(targetOrigin: string, faults: Faults = {}): Promise<FaultProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<() => void>();
  let proxyOrigin = '';
  let closed = false;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    seen.push(`${req.method} ${path.split('?')[0]}`);
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    while (faults.hang && !closed) {
      await new Promise<void>((resolve) => {
        const wake = (): void => resolve();
        hanging.add(wake);
        setTimeout(() => {
          hanging.delete(wake);
          resolve();
        }, 50);
      });
    }
    if (closed || res.destroyed) return;
    if (faults.status) {
      res.writeHead(faults.status, { 'Content-Type': 'application/fhir+json' });
      res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', details: { text: 'injected' } }] }));
      return;
    }
    if (faults.nonAtomic && req.method === 'POST' && /\/fhir\/R4\/?$/.test(path.split('?')[0])) {
      const bundle = JSON.parse(body.toString()) as Bundle;
      if (bundle.type === 'transaction') {
        const answer = await runEntryByEntry(bundle, req, faults.nonAtomic.forbidden);
        res.writeHead(200, { 'Content-Type': 'application/fhir+json' }).end(rewrite(JSON.stringify(answer)));
        return;
      }
    }
    const upstream = await forward(req.method ?? 'GET', path, headersOf(req), body.length > 0 ? body : undefined);
    const headers: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') headers[k] = rewrite(v);
    });
    const text = await upstream.text();
    res.writeHead(upstream.status, headers).end(rewrite(text));
  }

  function rewrite(text: string): string {
    return text.split(targetOrigin).join(proxyOrigin);
  }

  async function forward(method: string, path: string, headers: Record<string, string>, body: Buffer | string | undefined): Promise<Response> {
    return fetch(`${targetOrigin}${path}`, { method, headers, body, redirect: 'manual' });
  }

  async function runEntryByEntry(bundle: Bundle, req: IncomingMessage, forbidden: readonly string[]): Promise<Bundle> {
    const base = (req.url ?? '/').split('?')[0].replace(/\/$/, '');
    const assigned = new Map<string, string>();
    const entries: BundleEntry[] = [];
    for (const entry of bundle.entry ?? []) {
      const type = entry.resource?.resourceType ?? entry.request?.url?.split(/[/?]/)[0] ?? '';
      if (forbidden.includes(type)) {
        entries.push({
          response: {
            status: '403',
            outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', details: { text: 'Forbidden' } }] },
          },
        });
        continue;
      }
      let json = entry.resource ? JSON.stringify(entry.resource) : undefined;
      for (const [fullUrl, ref] of assigned) json = json?.split(fullUrl).join(ref);
      const headers: Record<string, string> = { ...headersOf(req), 'content-type': 'application/fhir+json' };
      if (entry.request?.ifMatch) headers['if-match'] = entry.request.ifMatch;
      if (entry.request?.ifNoneExist) headers['if-none-exist'] = entry.request.ifNoneExist;
      const upstream = await forward(entry.request?.method ?? 'GET', `${base}/${entry.request?.url ?? ''}`, headers, json);
      const text = await upstream.text();
      const resource = text ? (JSON.parse(text) as BundleEntry['resource']) : undefined;
      if (upstream.ok && entry.fullUrl && resource && 'id' in resource && resource.id) assigned.set(entry.fullUrl, `${resource.resourceType}/${resource.id}`);
      const location = upstream.headers.get('location') ?? undefined;
      entries.push(
        upstream.ok
          ? { resource, response: { status: String(upstream.status), location: location?.replace(/^.*\/fhir\/R4\//, ''), etag: upstream.headers.get('etag') ?? undefined } }
          : { response: { status: String(upstream.status), outcome: resource?.resourceType === 'OperationOutcome' ? resource : undefined } }
      );
    }
    return { resourceType: 'Bundle', type: 'transaction-response', entry: entries };
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxyOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyOrigin,
    faults,
    seen,
    async close() {
      closed = true;
      for (const wake of hanging) wake();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['accept', 'content-type', 'authorization', 'if-match', 'if-none-exist', 'prefer']) {
    const value = req.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
