/**
 * Medplum bot: forwards DocumentReference changes to Chartmine's `/notify`. Deploy it in a Medplum project and
 * point a Subscription (criteria `DocumentReference`, endpoint `Bot/<id>`) at it; see README.md.
 *
 * Only identifiers leave Medplum: the bot sends `{resourceType, id, meta.versionId, meta.lastUpdated}` (Chartmine
 * reads the note itself), or for a deletion `{}` with `X-Medplum-Deleted-Resource`, exactly as Medplum's own
 * rest-hook would. Each request is signed with `X-Signature` = hex HMAC-SHA256 of the body keyed with the
 * project secret CHARTMINE_NOTIFY_SECRET (Chartmine's NOTIFY_SECRET), so the secret itself never travels.
 * Self-contained (type imports only), so it compiles to one file the bot runtime loads. It runs in both of
 * Medplum's bot runtimes: AWS Lambda (plain Node) and `vmcontext`, the `node:vm` sandbox self-hosted Medplum uses
 * (packages/server/src/bots/vmcontext.ts), which exposes only `console`, `fetch`, `require`, `MedplumClient`,
 * `ContentType`, `Hl7Message`, the text codecs and streams, `URL`, `URLSearchParams`, `Headers`, `Request`,
 * `Response` and `event`: no `crypto`, no `AbortSignal`, no `setTimeout`, no `Buffer`, no `process`. So the HMAC
 * uses Web Crypto where there is a `crypto` global and `require('node:crypto')` otherwise, and the request timeout
 * is set only where `AbortSignal.timeout` exists (in vmcontext the bot's own `timeout` bounds the run).
 */
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { DocumentReference } from '@medplum/fhirtypes';

/** Project secrets the bot reads (Project → Secrets in the Medplum app). */
export const SECRET_NAMES = { url: 'CHARTMINE_URL', secret: 'CHARTMINE_NOTIFY_SECRET' } as const;
/** A Chartmine that does not answer within this long counts as failed (Medplum retries the subscription). */
export const FORWARD_TIMEOUT_MS = 10_000;

/** What the bot did. */
export type ForwardResult =
  | { readonly forwarded: 'upsert' | 'delete'; readonly status: number; readonly jobIds: readonly string[] }
  | { readonly skipped: string };

/** The bot's input: the resource, or `{deletedResource}` when a deletion triggers a bot subscription. */
export type ForwarderInput = DocumentReference | { readonly deletedResource?: DocumentReference } | Record<string, unknown>;

/**
 * Forwards one DocumentReference event to Chartmine.
 * @param _medplum - the Medplum client (not needed: Chartmine reads the note itself).
 * @param event - the bot event (input, secrets, headers).
 * @returns what was sent and Chartmine's job ids.
 * @throws Error when a secret is missing or Chartmine refuses or cannot be reached (Medplum then retries).
 */
export async function handler(_medplum: MedplumClient, event: BotEvent<ForwarderInput>): Promise<ForwardResult> {
  const { url, secret } = readSecrets(event.secrets);
  const headers = event.headers ?? {};
  const deletedHeader = header(headers, 'x-medplum-deleted-resource');
  const input = (event.input ?? {}) as Record<string, unknown>;
  const note = (input.deletedResource ?? input) as Partial<DocumentReference>;
  const deleted = deletedHeader !== undefined || input.deletedResource !== undefined;
  const reference = deletedHeader ?? `${note.resourceType}/${note.id}`;
  if (!/^DocumentReference\/[A-Za-z0-9\-.]{1,64}$/.test(reference)) {
    return { skipped: 'not a DocumentReference' };
  }
  const body = deleted
    ? '{}'
    : JSON.stringify({
        resourceType: 'DocumentReference',
        id: note.id,
        ...(note.meta?.versionId ? { meta: { versionId: note.meta.versionId, lastUpdated: note.meta.lastUpdated } } : {}),
      });
  const response = await fetch(new URL('notify', url.endsWith('/') ? url : `${url}/`), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/fhir+json',
      'X-Signature': await hmacSha256Hex(secret, body),
      ...(deleted ? { 'X-Medplum-Deleted-Resource': reference } : {}),
    },
    body,
    ...timeoutSignal(),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`Chartmine answered ${response.status} for ${reference}`);
  }
  const diagnostics = (JSON.parse(text || '{}') as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics;
  return { forwarded: deleted ? 'delete' : 'upsert', status: response.status, jobIds: diagnostics ? diagnostics.split(',') : [] };
}

function readSecrets(secrets: BotEvent['secrets']): { url: string; secret: string } {
  const url = secrets?.[SECRET_NAMES.url]?.valueString;
  const secret = secrets?.[SECRET_NAMES.secret]?.valueString;
  if (!url || !URL.canParse(url)) throw new Error(`bot secret ${SECRET_NAMES.url} is missing or not a URL`);
  if (!secret) throw new Error(`bot secret ${SECRET_NAMES.secret} is missing`);
  return { url, secret };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key ? headers[key] : undefined;
  return Array.isArray(value) ? value[0] : value;
}

/** A request timeout where the runtime has `AbortSignal.timeout` (Node, Lambda); none in vmcontext. */
function timeoutSignal(): { signal?: AbortSignal } {
  const abort = (globalThis as { AbortSignal?: { timeout?: (ms: number) => AbortSignal } }).AbortSignal;
  return typeof abort?.timeout === 'function' ? { signal: abort.timeout(FORWARD_TIMEOUT_MS) } : {};
}

/** What the bot needs from `node:crypto` when there is no Web Crypto global. */
interface NodeHmac {
  createHmac(algorithm: string, key: string): { update(data: string): { digest(encoding: 'hex'): string } };
}

async function hmacSha256Hex(secret: string, body: string): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: typeof crypto.subtle } }).crypto?.subtle;
  if (subtle) {
    const encoder = new TextEncoder();
    const key = await subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signature = new Uint8Array(await subtle.sign('HMAC', key, encoder.encode(body)));
    return Array.from(signature, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  // Medplum's vmcontext sandbox: no `crypto` global, but a `require` for Node's modules.
  const load = (globalThis as { require?: (id: string) => unknown }).require;
  if (typeof load !== 'function') throw new Error('no HMAC available: neither a crypto global nor require');
  return (load('node:crypto') as NodeHmac).createHmac('sha256', secret).update(body).digest('hex');
}
