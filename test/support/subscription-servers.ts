/**
 * Scripted FHIR servers that handle `POST/GET Subscription` the way real servers are documented or were observed to,
 * for `chartmine subscribe` tests. Everything else is answered by `metadata` and 404.
 *
 * - `medplum`: Medplum 4.5.2 as observed (issue 13): the Subscription is stored exactly as given; only `active`
 *   ones deliver, and nothing ever promotes `requested` (it stays `requested` on every read).
 * - `hapi-activating`: HAPI FHIR's JPA server with its default SubscriptionActivatingInterceptor: a `requested`
 *   rest-hook is activated by the server shortly after creation (we report `active` from the second read on).
 * - `hapi-manual`: HAPI configured with manual activation (SubscriptionsRequireManualActivationInterceptorR4, as in
 *   logicahealth/sandbox-hapi): a client may not create an `active` Subscription (422), and `requested` stays so.
 * - `handshake-fails`: a topic-based server whose handshake to the endpoint failed: `requested` becomes `error`
 *   with `Subscription.error` set (R4 `error` element; Subscriptions Backport handshake).
 */
import type { ServerResponse } from 'node:http';
import { startStub, type HttpStub, type SeenRequest } from './http-stub.js';

/** Which server behaviour to script. */
export type SubscriptionBehaviour = 'medplum' | 'hapi-activating' | 'hapi-manual' | 'handshake-fails';

/** A running scripted server plus what it stored. */
export interface SubscriptionServer extends HttpStub {
  readonly stored: Map<string, Record<string, unknown>>;
}

/**
 * Starts a scripted server at `/fhir/R4`.
 * @param behaviour - which server to behave like.
 * @param metadata - CapabilityStatement fields (fhirVersion, software, rest...).
 * @param requireToken - when set, every FHIR request must carry `Authorization: Bearer <token>` (401 otherwise).
 * @returns the server.
 */
export async function startSubscriptionServer(
  behaviour: SubscriptionBehaviour,
  metadata: Record<string, unknown>,
  requireToken?: string
): Promise<SubscriptionServer> {
  const stored = new Map<string, Record<string, unknown>>();
  const reads = new Map<string, number>();
  let next = 1;
  const stub = await startStub((req: SeenRequest, res: ServerResponse) => {
    const send = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify(body));
    const outcome = (code: string, text: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] });
    if (requireToken && req.headers.authorization !== `Bearer ${requireToken}`) return send(401, outcome('login', 'Unauthorized'));
    if (req.method === 'GET' && req.url === '/fhir/R4/metadata') {
      return send(200, { resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', ...metadata });
    }
    if (req.method === 'POST' && req.url === '/fhir/R4/Subscription') {
      const body = JSON.parse(req.body) as Record<string, unknown>;
      if (behaviour === 'hapi-manual' && body.status !== 'requested') {
        return send(422, outcome('processing', "Subscription.status must be 'requested' on a create"));
      }
      const id = `sub-${next++}`;
      const saved = { ...body, id, meta: { versionId: '1' } };
      stored.set(id, saved);
      return send(201, saved);
    }
    const read = /^\/fhir\/R4\/Subscription\/([^/?]+)$/.exec(req.url);
    if (req.method === 'GET' && read) {
      const saved = stored.get(read[1]);
      if (!saved) return send(404, outcome('not-found', 'Not found'));
      const count = (reads.get(read[1]) ?? 0) + 1;
      reads.set(read[1], count);
      if (saved.status === 'requested' && count >= 2) {
        if (behaviour === 'hapi-activating') saved.status = 'active';
        if (behaviour === 'handshake-fails') Object.assign(saved, { status: 'error', error: 'handshake to the endpoint failed: 503' });
      }
      return send(200, saved);
    }
    send(404, outcome('not-found', 'Not found'));
  });
  return { ...stub, stored };
}
