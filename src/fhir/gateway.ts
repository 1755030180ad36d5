/**
 * The FHIR port the worker uses, and its adapter over MedplumClient. The same adapter talks to the embedded store
 * (over HTTP, at its own `/fhir/R4`) and to any external FHIR R4 server, so both paths are exercised alike.
 * Failures are classified here: gone/not found → `undefined`; timeouts, 408/429/5xx and 409/412 (a concurrent
 * write: re-read and retry) → UpstreamError (retryable); 400/422 on a write → WriteBackRejectedError; other 4xx →
 * UpstreamRejectedError.
 */
import { deepEquals, getReferenceString, MedplumClient, type WithId } from '@medplum/core';
import type { Bundle, BundleEntry, Device, DocumentReference, OperationOutcome, Reference, Resource } from '@medplum/fhirtypes';
import {
  AppError,
  DocumentTooLargeError,
  UnsupportedContentError,
  UpstreamError,
  UpstreamRejectedError,
  WriteBackRejectedError,
} from '../errors.js';
import { createAuthorizedFetch, NO_AUTH, type FhirAuth } from './auth.js';
import { createFhirFetch, FhirHttpError, type FetchLike, type FhirCircuit } from './fhir-http.js';
import { DERIVED_RESOURCE_TYPES, DEVICE_IDENTIFIER_SYSTEM, SOURCE_DOCUMENT_TAG_SYSTEM } from './naming.js';
import { buildReadBatch, toReadResult, type FhirRead, type FhirReadResult } from './batch-reads.js';

/** Bytes behind an attachment URL. */
export interface AttachmentContent {
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

/** A note as read: found, deleted (410 Gone: its findings are retracted) or unknown (404: nothing to do). */
export type NoteRead =
  | { readonly state: 'found'; readonly note: WithId<DocumentReference> }
  | { readonly state: 'deleted' }
  | { readonly state: 'missing' };

/** What the worker needs from a FHIR server. */
export interface FhirGateway {
  /** The base URL requests go to (ends with `/`). */
  readonly baseUrl: string;
  /** The note as the server has it now. */
  readNote(id: string): Promise<NoteRead>;
  /** The content behind an attachment URL on this server, refusing other hosts and anything over `maxBytes`. */
  readAttachment(url: string, maxBytes: number): Promise<AttachmentContent>;
  /** Every resource Chartmine derived from the note (all derived types, all pages). */
  readDerived(noteId: string): Promise<Resource[]>;
  /** Posts a transaction Bundle; throws classified errors. */
  executeTransaction(bundle: Bundle): Promise<Bundle>;
  /** Finds the Device with the same identifier (bringing it up to date), or creates it. */
  ensureDevice(device: Device): Promise<Reference<Device>>;
  /** Every match of a search, all pages (`params` values may repeat: `_tag` twice is AND). */
  searchAll(resourceType: string, params: readonly (readonly [string, string])[]): Promise<Resource[]>;
  /** A resource's versions, newest first. */
  readHistory(resourceType: string, id: string): Promise<Resource[]>;
  /** Creates a resource (an AuditEvent). */
  createResource<T extends Resource>(resource: T): Promise<T>;
  /** Updates a resource guarded by `If-Match` on its version. */
  updateResource<T extends Resource>(resource: T & { id: string }, ifMatchVersion: string): Promise<T>;
  /** Throws unless the server answers `metadata`. */
  checkReachable(): Promise<void>;
  /** Whether the server serves this version of the note (a `vread`): `false` when it does not (yet). */
  hasNoteVersion?(id: string, versionId: string): Promise<boolean>;
  /** Deletes a resource (undoing an entry a non-atomic transaction committed). */
  deleteResource?(resourceType: string, id: string): Promise<void>;
  /**
   * Several reads, in one round trip where the server takes a `batch` (`batch-reads.ts`); the results are what the
   * reads one by one would give (`read`: as `readSource`, `search`: as `searchAll`), in order.
   */
  readAll?(reads: readonly FhirRead[]): Promise<FhirReadResult[]>;
  /** Any resource as the server has it now (patient feedback: QuestionnaireResponse, Communication). */
  readSource?(resourceType: string, id: string): Promise<SourceRead>;
  /** Whether the server serves this version of a resource (a `vread`). */
  hasSourceVersion?(resourceType: string, id: string, versionId: string): Promise<boolean>;
}

/** A resource as read: found, deleted (410) or unknown (404). */
export type SourceRead =
  | { readonly state: 'found'; readonly resource: WithId<Resource> }
  | { readonly state: 'deleted' }
  | { readonly state: 'missing' };

/** Page size for reads of derived resources. */
const DERIVED_PAGE_SIZE = 500;
/** Safety bound on pages followed for one search. */
const MAX_PAGES = 100;
/** Redirects followed for an attachment; each hop is checked against the allowed origins again. */
const MAX_ATTACHMENT_REDIRECTS = 3;

/** Options for the MedplumClient-based gateway. */
export interface MedplumGatewayOptions {
  /** FHIR base URL, e.g. `http://127.0.0.1:8080/fhir/R4/`. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to wrap (tests inject one). */
  readonly fetch?: FetchLike;
  /** How requests to the server are authenticated (default: not at all). Only its origin gets credentials. */
  readonly auth?: FhirAuth;
  /** Other origins attachment URLs may point at (FETCH_ALLOWLIST); they never get our credentials. */
  readonly fetchAllowlist?: readonly string[];
  /** The server's circuit breaker (shared by every gateway to the same server in this process). */
  readonly circuit?: FhirCircuit;
}

/** FhirGateway over MedplumClient. */
export class MedplumFhirGateway implements FhirGateway {
  readonly baseUrl: string;
  readonly client: MedplumClient;
  readonly circuit: FhirCircuit | undefined;
  private readonly fetch: FetchLike;
  /** The same fetch without credentials: signed storage URLs and FETCH_ALLOWLIST hosts never get our token. */
  private readonly anonymousFetch: FetchLike;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly allowedOrigins: ReadonlySet<string>;
  /** Cleared once the server refuses a batch: reads go one by one from then on. */
  private batchReads = true;

  constructor(options: MedplumGatewayOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    const url = new URL(this.baseUrl);
    this.circuit = options.circuit;
    this.fetch = createFhirFetch(options.timeoutMs, createAuthorizedFetch(options.auth ?? NO_AUTH, url.origin, options.fetch ?? fetch), options.circuit);
    // Through the same circuit: a signed storage URL is the FHIR server too (and allowlisted hosts counted before).
    this.anonymousFetch = createFhirFetch(options.timeoutMs, options.fetch ?? fetch, options.circuit);
    this.headers = options.headers ?? {};
    this.allowedOrigins = new Set((options.fetchAllowlist ?? []).map((o) => new URL(o).origin));
    this.client = new MedplumClient({
      baseUrl: url.origin + '/',
      fhirUrlPath: url.pathname.replace(/^\/|\/$/g, ''),
      fetch: this.fetch,
      cacheTime: 0,
      extendedMode: false,
      defaultHeaders: { ...this.headers },
    });
  }

  async readNote(id: string): Promise<NoteRead> {
    try {
      return { state: 'found', note: await this.client.readResource('DocumentReference', id, { maxRetries: 0 }) };
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && err.status === 410) return { state: 'deleted' };
      if (err instanceof FhirHttpError && err.status === 404) return { state: 'missing' };
      throw classifyRead(err, `DocumentReference/${id}`);
    }
  }

  async readAll(reads: readonly FhirRead[]): Promise<FhirReadResult[]> {
    const answers = reads.length > 1 && this.batchReads ? await this.readBatch(reads) : undefined;
    const out: FhirReadResult[] = [];
    for (const [i, read] of reads.entries()) {
      out.push(toReadResult(read, answers?.[i], DERIVED_PAGE_SIZE) ?? (await this.readOne(read)));
    }
    return out;
  }

  private async readBatch(reads: readonly FhirRead[]): Promise<BundleEntry[] | undefined> {
    try {
      const response = await this.client.executeBatch(buildReadBatch(reads, DERIVED_PAGE_SIZE), { maxRetries: 0 });
      // Answers pair with requests by position; a server that answers otherwise gets each read on its own.
      return response.type === 'batch-response' && response.entry?.length === reads.length ? response.entry : undefined;
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && !isTransient(err.status)) {
        this.batchReads = false; // the server does not take batches (or not of reads): one request per read
        return undefined;
      }
      throw classifyRead(err, 'batch of reads');
    }
  }

  private async readOne(read: FhirRead): Promise<FhirReadResult> {
    if (read.kind === 'search') return { kind: 'search', resources: await this.searchAll(read.resourceType, read.params) };
    const found = await this.readSource(read.resourceType, read.id);
    return found.state === 'found' ? { kind: 'read', state: 'found', resource: found.resource } : { kind: 'read', state: found.state };
  }

  async readSource(resourceType: string, id: string): Promise<SourceRead> {
    try {
      return { state: 'found', resource: await this.client.readResource(resourceType as Resource['resourceType'], id, { maxRetries: 0 }) };
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && err.status === 410) return { state: 'deleted' };
      if (err instanceof FhirHttpError && err.status === 404) return { state: 'missing' };
      throw classifyRead(err, `${resourceType}/${id}`);
    }
  }

  async hasSourceVersion(resourceType: string, id: string, versionId: string): Promise<boolean> {
    try {
      await this.client.readVersion(resourceType as Resource['resourceType'], id, versionId, { maxRetries: 0 });
      return true;
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && (err.status === 404 || err.status === 410)) return false;
      throw classifyRead(err, `${resourceType}/${id} version`);
    }
  }

  async readAttachment(url: string, maxBytes: number): Promise<AttachmentContent> {
    const first = await this.fetchAttachment(url, maxBytes);
    if (first.kind === 'content') return first.content;
    // A Binary as FHIR JSON that points at its content instead of carrying it (Medplum can answer a Binary read
    // with a signed storage `url`): follow that URL once, under the same origin rules.
    const second = await this.fetchAttachment(first.url, maxBytes);
    if (second.kind === 'content') return second.content;
    throw new UnsupportedContentError('attachment Binary points at another Binary url');
  }

  private async fetchAttachment(url: string, maxBytes: number): Promise<{ kind: 'content'; content: AttachmentContent } | { kind: 'url'; url: string }> {
    let target = this.resolveAttachmentUrl(url);
    const headers: Record<string, string> = { ...this.headers, Accept: 'application/fhir+json, */*;q=0.5' };
    let response: Response;
    for (let hop = 0; ; hop++) {
      try {
        // Redirects are followed by hand: each hop must pass the same origin check as the first URL. Only the FHIR
        // base gets credentials; a signed storage URL carries its own (its signature) and an allowlisted host none.
        const fetchHop = target.credentials ? this.fetch : this.anonymousFetch;
        response = await fetchHop(target.url.toString(), { headers: target.credentials ? headers : { Accept: headers.Accept }, redirect: 'manual' });
      } catch (err: unknown) {
        throw classifyRead(err, 'attachment');
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) break;
      await response.body?.cancel();
      if (hop >= MAX_ATTACHMENT_REDIRECTS) throw new UnsupportedContentError('attachment url redirects too often');
      target = this.resolveAttachmentUrl(new URL(location, target.url).toString());
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    // A Binary as FHIR JSON carries base64 (4/3 the size) plus a little JSON around it.
    const jsonBudget = Math.ceil((maxBytes * 4) / 3) + 4096;
    if (Number.isFinite(declared) && declared > jsonBudget) {
      throw new DocumentTooLargeError(declared, maxBytes);
    }
    const body = await readCapped(response, jsonBudget, maxBytes);
    const contentType = response.headers.get('content-type') ?? undefined;
    if (contentType?.includes('json')) {
      const binary = parseBinary(body);
      if (binary?.data !== undefined) return { kind: 'content', content: { contentType: binary.contentType, data: binary.data } };
      if (binary?.url) return { kind: 'url', url: new URL(binary.url, target.url).toString() };
      if (binary) throw new UnsupportedContentError('attachment Binary has neither data nor url');
    }
    return { kind: 'content', content: { contentType, data: body } };
  }

  async readDerived(noteId: string): Promise<Resource[]> {
    const out: Resource[] = [];
    for (const resourceType of DERIVED_RESOURCE_TYPES) {
      out.push(...(await this.searchAll(resourceType, [['_tag', `${SOURCE_DOCUMENT_TAG_SYSTEM}|${noteId}`]])));
    }
    return out;
  }

  async searchAll(resourceType: string, params: readonly (readonly [string, string])[]): Promise<Resource[]> {
    const query = new URLSearchParams(params.map(([k, v]): [string, string] => [k, v]));
    query.set('_count', String(DERIVED_PAGE_SIZE));
    let url: string | undefined = `${this.client.fhirUrl(resourceType).toString()}?${query.toString()}`;
    const out: Resource[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      let bundle: Bundle;
      try {
        bundle = await this.client.get<Bundle>(url, { maxRetries: 0 });
      } catch (err: unknown) {
        throw classifyRead(err, `${resourceType} search`);
      }
      for (const entry of bundle.entry ?? []) {
        if (entry.resource?.resourceType === resourceType && entry.search?.mode !== 'include') {
          out.push(entry.resource);
        }
      }
      url = bundle.link?.find((l) => l.relation === 'next')?.url;
    }
    return out;
  }

  async readHistory(resourceType: string, id: string): Promise<Resource[]> {
    try {
      const bundle = await this.client.get<Bundle>(this.client.fhirUrl(resourceType, id, '_history').toString(), { maxRetries: 0 });
      return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    } catch (err: unknown) {
      throw classifyRead(err, `${resourceType} history`);
    }
  }

  async createResource<T extends Resource>(resource: T): Promise<T> {
    try {
      return await this.client.createResource(resource, { maxRetries: 0 });
    } catch (err: unknown) {
      throw classifyWrite(err);
    }
  }

  async updateResource<T extends Resource>(resource: T & { id: string }, ifMatchVersion: string): Promise<T> {
    try {
      return (await this.client.put(this.client.fhirUrl(resource.resourceType, resource.id).toString(), resource, undefined, {
        maxRetries: 0,
        headers: { 'If-Match': `W/"${ifMatchVersion}"` },
      })) as T;
    } catch (err: unknown) {
      throw classifyWrite(err);
    }
  }

  async executeTransaction(bundle: Bundle): Promise<Bundle> {
    try {
      return await this.client.executeBatch(bundle, { maxRetries: 0 });
    } catch (err: unknown) {
      throw classifyWrite(err);
    }
  }

  async ensureDevice(device: Device): Promise<Reference<Device>> {
    const identifier = device.identifier?.find((i) => i.system === DEVICE_IDENTIFIER_SYSTEM);
    try {
      const existing = await this.client.searchOne(
        'Device',
        { identifier: `${DEVICE_IDENTIFIER_SYSTEM}|${identifier?.value ?? ''}` },
        { maxRetries: 0 }
      );
      let saved = existing ?? (await this.client.createResource(device, { maxRetries: 0 }));
      if (existing && !sameDevice(existing, device)) {
        // Written by an older Chartmine (before the Device profile, say): bring it up to date, keep its id.
        saved = await this.updateResource({ ...device, id: existing.id }, existing.meta?.versionId ?? '');
      }
      return { reference: getReferenceString(saved), display: device.deviceName?.[0]?.name };
    } catch (err: unknown) {
      throw classifyWrite(err);
    }
  }

  async hasNoteVersion(id: string, versionId: string): Promise<boolean> {
    try {
      await this.client.readVersion('DocumentReference', id, versionId, { maxRetries: 0 });
      return true;
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && (err.status === 404 || err.status === 410)) return false;
      throw classifyRead(err, `DocumentReference/${id} version`);
    }
  }

  async deleteResource(resourceType: string, id: string): Promise<void> {
    try {
      await this.client.deleteResource(resourceType as Resource['resourceType'], id, { maxRetries: 0 });
    } catch (err: unknown) {
      if (err instanceof FhirHttpError && (err.status === 404 || err.status === 410)) return;
      throw classifyWrite(err);
    }
  }

  async checkReachable(): Promise<void> {
    try {
      await this.client.get(this.client.fhirUrl('metadata').toString(), { maxRetries: 0 });
    } catch (err: unknown) {
      throw classifyRead(err, 'metadata');
    }
  }

  /**
   * Reads one page of a search; `url` is a search URL on this server or a `next` link the server gave.
   * @param url - the page URL (must be on the FHIR server's origin: a `next` link elsewhere is refused).
   * @returns the Bundle.
   */
  async readSearchPage(url: string): Promise<Bundle> {
    if (!URL.canParse(url) || new URL(url).origin !== new URL(this.baseUrl).origin) {
      throw new UpstreamRejectedError('search page link is not on the configured FHIR server', 400);
    }
    try {
      return await this.client.get<Bundle>(url, { maxRetries: 0 });
    } catch (err: unknown) {
      throw classifyRead(err, 'search');
    }
  }

  /**
   * Resolves an attachment URL against the base. Allowed, before any request is made (no server-side request
   * forgery through a crafted attachment URL):
   * - the FHIR base (a relative `Binary/123`, or an absolute URL on the same origin below the base path), fetched
   *   with our credentials;
   * - a signed storage URL on the FHIR server's own origin, `<server>/storage/<id>[/<version>]?…&Signature=…`
   *   (Medplum rewrites `Binary/<id>` attachment URLs to these on reads and in notification bodies), fetched
   *   WITHOUT credentials: the signature is the credential, and Medplum's storage route does not read a token;
   * - any path on an origin in FETCH_ALLOWLIST, without credentials.
   * Anything else on the FHIR server's origin (its admin or health routes, an unsigned storage path) is refused.
   */
  private resolveAttachmentUrl(url: string): { readonly url: URL; readonly credentials: boolean } {
    if (!URL.canParse(url, this.baseUrl)) {
      throw new UnsupportedContentError('attachment url is not a valid URL');
    }
    const target = new URL(url, this.baseUrl);
    if ((target.protocol !== 'https:' && target.protocol !== 'http:') || target.username || target.password) {
      throw new UnsupportedContentError('attachment url is not an http(s) URL without credentials');
    }
    const base = new URL(this.baseUrl);
    if (target.origin === base.origin) {
      if (target.pathname.startsWith(base.pathname)) return { url: target, credentials: true };
      if (isSignedStorageUrl(target, base)) return { url: target, credentials: false };
      throw new UnsupportedContentError('attachment url is on the FHIR server but neither under its base nor a signed storage url');
    }
    if (!this.allowedOrigins.has(target.origin)) {
      throw new UnsupportedContentError('attachment url is not on the configured FHIR server or FETCH_ALLOWLIST');
    }
    return { url: target, credentials: false };
  }
}

/**
 * A signed storage URL on the FHIR server (Medplum's `storageBaseUrl`, by default `<server>/storage/`, where the
 * server root is the FHIR base without its `fhir/R4/`): `/storage/<id>[/<version>]` with `Expires` and `Signature`.
 */
function isSignedStorageUrl(target: URL, base: URL): boolean {
  const root = base.pathname.replace(/fhir\/R4\/?$/i, '').replace(/fhir\/?$/i, '');
  const storage = `${root.endsWith('/') ? root : `${root}/`}storage/`;
  if (!target.pathname.startsWith(storage)) return false;
  const rest = target.pathname.slice(storage.length).split('/');
  const validPath = rest.length >= 1 && rest.length <= 2 && rest.every((p) => /^[A-Za-z0-9\-.]{1,64}$/.test(p));
  return validPath && target.searchParams.has('Signature') && target.searchParams.has('Expires');
}

function sameDevice(stored: Device, wanted: Device): boolean {
  const strip = ({ id: _i, meta, ...rest }: Device): unknown => ({ ...rest, profile: meta?.profile, tag: meta?.tag });
  return deepEquals(strip(stored), strip(wanted));
}

/** Reads a response body, giving up as soon as it passes `limit` bytes (a missing Content-Length is no excuse). */
async function readCapped(response: Response, limit: number, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    let chunk: { done: boolean; value?: Uint8Array };
    try {
      chunk = await reader.read();
    } catch (err: unknown) {
      throw new UpstreamError('reading attachment content failed', { cause: err });
    }
    if (chunk.done || !chunk.value) break;
    size += chunk.value.length;
    if (size > limit) {
      await reader.cancel();
      throw new DocumentTooLargeError(size, maxBytes);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks);
}

function parseBinary(body: Buffer): { contentType: string | undefined; data: Buffer | undefined; url: string | undefined } | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { resourceType?: string; contentType?: string; data?: string; url?: string };
    if (json.resourceType !== 'Binary') return undefined;
    return {
      contentType: json.contentType,
      data: typeof json.data === 'string' ? Buffer.from(json.data, 'base64') : undefined,
      url: typeof json.url === 'string' && !json.data ? json.url : undefined,
    };
  } catch (err: unknown) {
    // Not a Binary resource after all: the caller treats the body as raw bytes.
    void err;
    return undefined;
  }
}

function issueCodes(outcome: OperationOutcome | undefined): string[] {
  return (outcome?.issue ?? []).map((i) => i.code);
}

function isTransient(status: number): boolean {
  return status === 408 || status === 409 || status === 412 || status === 425 || status === 429 || status >= 500;
}

/** Classifies a failed read. */
export function classifyRead(err: unknown, what: string): Error {
  if (err instanceof FhirHttpError) {
    if (isTransient(err.status)) return new UpstreamError(`reading ${what} failed with ${err.status}`, { cause: err });
    return new UpstreamRejectedError(`reading ${what} was refused with ${err.status}`, err.status, { cause: err });
  }
  if (err instanceof AppError) return err;
  return new UpstreamError(`reading ${what} failed`, { cause: err });
}

/** Classifies a failed write. */
function classifyWrite(err: unknown): Error {
  if (err instanceof FhirHttpError) {
    if (isTransient(err.status)) return new UpstreamError(`write failed with ${err.status}`, { cause: err });
    if (err.status === 400 || err.status === 422) {
      return new WriteBackRejectedError(`write rejected with ${err.status}`, issueCodes(err.outcome), { cause: err });
    }
    return new UpstreamRejectedError(`write refused with ${err.status}`, err.status, { cause: err });
  }
  if (err instanceof AppError) return err;
  return new UpstreamError('write failed', { cause: err });
}
