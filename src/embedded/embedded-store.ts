/**
 * The embedded FHIR R4 server behind `/fhir/R4`: `@medplum/fhir-router`'s FhirRouter over an EmbeddedRepository,
 * plus what a client of a real server expects and the router leaves out: paged searches with `next` links,
 * `_include` / `_revinclude`, `Location` / `ETag` headers, and a CapabilityStatement at `metadata`.
 * Requests are handled one at a time, so a transaction is never interleaved with another request. With a data
 * folder, every write is journalled and on disk before its answer leaves, and before listeners hear of it.
 */
import {
  evalFhirPath,
  getReferenceString,
  getSearchParameter,
  getStatus,
  isOk,
  notFound,
  OperationOutcomeError,
  parseSearchRequest,
  type IncludeTarget,
} from '@medplum/core';
import type { Bundle, BundleEntry, BundleLink, CapabilityStatement, OperationOutcome, Reference, Resource } from '@medplum/fhirtypes';
import { FhirRouter, type FhirRequest, type FhirResponse, type HttpMethod } from '@medplum/fhir-router';
import { AppError } from '../errors.js';
import { ensureFhirDefinitions } from '../fhir/definitions.js';
import { toFhirInteraction, type FhirInteraction } from '../fhir/interaction.js';
import { EmbeddedRepository, type PendingCommit } from './embedded-repository.js';
import { StoreJournal, type JournalLoadReport } from './store-journal.js';

/** Page size when a search names no `_count` (Medplum's default too). */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 1000;

/** A request to the store, already stripped of the `/fhir/R4` prefix. */
export interface StoreRequest {
  readonly method: string;
  /** Path below the base, without a leading slash, e.g. `Condition/123` or `` for the system endpoint. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Absolute base URL as the client sees it, for `Location` and paging links (no trailing slash). */
  readonly baseUrl: string;
}

/** The store's answer. */
export interface StoreResponse {
  readonly status: number;
  readonly body: Resource;
  readonly headers: Readonly<Record<string, string>>;
}

/** Answer while the store cannot make writes durable (its journal failed): nothing is acknowledged. */
const UNAVAILABLE: Resource = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'transient', details: { text: 'The embedded store cannot write to its data folder' } }],
};

/** Answer for a request the router failed on without an OperationOutcome (its own message is not passed on). */
const UNPROCESSABLE_REQUEST: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'invalid', details: { text: 'The request could not be processed' } }],
};

/** Told where the store's time goes (`chartmine_store_*` metrics, the server bench's profile). */
export interface StoreObserver {
  /** One request handled: its interaction and the milliseconds from taking it to answering (not its wait before). */
  request(interaction: FhirInteraction, ms: number): void;
  /** One resource written was validated in `ms` milliseconds. */
  validated(ms: number): void;
}

/** Options of a store kept on disk. */
export interface DurableStoreOptions {
  /** The data folder (DATA_DIR). */
  readonly dataDir: string;
  /** Journal size that triggers a snapshot (tests use a small one). */
  readonly compactAfterBytes?: number;
  /** Told when a snapshot cannot be written (the store then stops taking requests). */
  readonly onSnapshotError?: (err: unknown) => void;
}

/** The embedded FHIR server. */
export class EmbeddedFhirStore {
  readonly repo: EmbeddedRepository;
  private readonly router = new FhirRouter();
  private queue: Promise<unknown> = Promise.resolve();
  private journal: StoreJournal | undefined;
  /** Set when a journal write failed: the memory is ahead of the disk, so the store stops answering. */
  private failed = false;
  private onSnapshotError: ((err: unknown) => void) | undefined;
  private observer: StoreObserver | undefined;
  /** What the last load from disk found (undefined in memory). */
  loadReport: JournalLoadReport | undefined;

  /**
   * A store in memory only (`STORE=memory`); `open` gives one kept on disk.
   * @param capabilityStatement - served at `metadata`.
   */
  constructor(private readonly capabilityStatement: CapabilityStatement) {
    ensureFhirDefinitions();
    this.repo = new EmbeddedRepository();
  }

  /**
   * Opens a store kept in a data folder: loads the snapshot and journal, then journals every write.
   * @param capabilityStatement - served at `metadata`.
   * @param options - the data folder.
   * @returns the store.
   * @throws ConfigError when the folder cannot be used.
   */
  static async open(capabilityStatement: CapabilityStatement, options: DurableStoreOptions): Promise<EmbeddedFhirStore> {
    const store = new EmbeddedFhirStore(capabilityStatement);
    const { journal, report } = await StoreJournal.open(options.dataDir, (op) => store.repo.replay(op), {
      compactAfterBytes: options.compactAfterBytes,
    });
    store.journal = journal;
    store.loadReport = report;
    store.onSnapshotError = options.onSnapshotError;
    return store;
  }

  /** Whether the store can take requests (false once a write to its data folder failed). */
  get healthy(): boolean {
    return !this.failed;
  }

  /**
   * Reports request and validation times from now on.
   * @param observer - where they go.
   */
  instrument(observer: StoreObserver): void {
    this.observer = observer;
    this.repo.observeValidation((ms) => observer.validated(ms));
  }

  /**
   * Handles one request; requests run one after another.
   * @param req - the request.
   * @returns the response.
   */
  handle(req: StoreRequest): Promise<StoreResponse> {
    const run = this.queue.then(() => (this.observer ? this.handleObserved(req, this.observer) : this.handleDurably(req)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for requests in flight, writes a last snapshot if one is due, and closes the journal. */
  async close(): Promise<void> {
    const closing = this.queue.then(async () => {
      if (this.journal && !this.failed && this.journal.needsCompaction) await this.journal.compact(this.repo.exportState());
      await this.journal?.close();
      this.journal = undefined;
    });
    this.queue = closing.catch(() => undefined);
    await closing;
  }

  private async handleObserved(req: StoreRequest, observer: StoreObserver): Promise<StoreResponse> {
    const started = performance.now();
    try {
      return await this.handleDurably(req);
    } finally {
      const bundleType = (req.body as { type?: unknown } | undefined)?.type;
      observer.request(toFhirInteraction(req.method, req.path, typeof bundleType === 'string' ? bundleType : undefined), performance.now() - started);
    }
  }

  private async handleDurably(req: StoreRequest): Promise<StoreResponse> {
    if (this.failed) return { status: 503, body: UNAVAILABLE, headers: {} };
    let response: StoreResponse | undefined;
    let failure: unknown;
    try {
      response = await this.handleNow(req);
    } catch (err: unknown) {
      failure = err;
    }
    // Even a failed request may have committed writes (a batch): they are journalled before anything is answered.
    const commits = this.repo.takeCommits();
    try {
      await this.journal?.append(commits.map((c) => c.record));
    } catch (err: unknown) {
      this.failed = true;
      throw new StoreWriteError(err);
    }
    this.repo.announce(commits);
    if (response && isUpdateAsCreate(req, response, commits)) {
      response = { ...response, status: 201 }; // FHIR: an update that creates answers 201 Created
    }
    if (this.journal?.needsCompaction) {
      // The writes are durable already; a snapshot that cannot be written (disk full) stops further writes.
      await this.journal.compact(this.repo.exportState()).catch((err: unknown) => {
        this.failed = true;
        this.onSnapshotError?.(err);
      });
    }
    if (failure !== undefined) throw failure;
    return response as StoreResponse;
  }

  private async handleNow(req: StoreRequest): Promise<StoreResponse> {
    const method = req.method.toUpperCase() as HttpMethod;
    if (method === 'GET' && req.path === 'metadata') {
      return { status: 200, body: this.capabilityStatement, headers: {} };
    }
    const isSearch =
      (method === 'GET' && /^[A-Z][A-Za-z]+$/.test(req.path)) ||
      (method === 'POST' && /^[A-Z][A-Za-z]+\/_search$/.test(req.path));
    const query = new URLSearchParams(req.query);
    if (method === 'POST' && isSearch && isFormBody(req.body)) {
      for (const [k, v] of Object.entries(req.body)) query.append(k, String(v));
    }
    if (isSearch) {
      const count = Number(query.get('_count') ?? DEFAULT_PAGE_SIZE);
      query.set('_count', String(Number.isFinite(count) ? Math.min(Math.max(count, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE));
    }
    const path = isSearch ? req.path.replace(/\/_search$/, '') : req.path;
    const qs = query.toString();
    const fhirRequest: FhirRequest = {
      method: isSearch ? 'GET' : method,
      url: qs ? `${path}?${qs}` : path,
      pathname: '',
      body: req.body,
      params: {},
      query: {},
      headers: req.headers as FhirRequest['headers'],
      config: { transactions: true },
    };
    const [outcome, resource] = await this.route(fhirRequest);
    if (!isOk(outcome) || !resource) {
      return { status: getStatus(outcome), body: outcome, headers: {} };
    }
    if (isSearch && resource.resourceType === 'Bundle') {
      const bundle = await this.completeSearchBundle(path, query, resource, req.baseUrl);
      return { status: 200, body: bundle, headers: {} };
    }
    if (resource.resourceType === 'Bundle' && (resource.type === 'transaction-response' || resource.type === 'batch-response')) {
      return { status: getStatus(outcome), body: withVersionedLocations(resource), headers: {} };
    }
    return { status: getStatus(outcome), body: resource, headers: resourceHeaders(resource, req.baseUrl) };
  }

  /**
   * `FhirRouter.handleRequest`, except that an error other than an OperationOutcomeError (a TypeError or RangeError
   * inside the router, whose message can quote the request) is answered with a fixed text, never its message.
   */
  private async route(req: FhirRequest): Promise<FhirResponse> {
    const found = this.router.find(req.method, req.url);
    if (!found) return [notFound];
    req.params = found.params;
    req.pathname = found.path;
    if (found.query) req.query = found.query;
    try {
      return await found.handler(req, this.repo, this.router);
    } catch (err: unknown) {
      if (err instanceof OperationOutcomeError) return [err.outcome];
      return [UNPROCESSABLE_REQUEST];
    }
  }

  /** Adds `total`, paging links and `_include` / `_revinclude` results to a search Bundle. */
  private async completeSearchBundle(
    resourceType: string,
    query: URLSearchParams,
    bundle: Bundle,
    baseUrl: string
  ): Promise<Bundle> {
    const request = parseSearchRequest(resourceType, Object.fromEntries(query));
    const count = request.count ?? DEFAULT_PAGE_SIZE;
    const offset = request.offset ?? 0;
    const matches: BundleEntry[] = (bundle.entry ?? []).map((e) => ({
      fullUrl: `${baseUrl}/${getReferenceString(e.resource as Resource)}`,
      resource: e.resource,
      search: { mode: 'match' },
    }));
    const included = await this.includes(
      matches.map((e) => e.resource as Resource),
      request.include ?? [],
      request.revInclude ?? []
    );
    const link: BundleLink[] = [{ relation: 'self', url: pageUrl(baseUrl, resourceType, query, offset) }];
    if (bundle.total !== undefined && offset + count < bundle.total && count > 0) {
      link.push({ relation: 'next', url: pageUrl(baseUrl, resourceType, query, offset + count) });
    }
    if (offset > 0) {
      link.push({ relation: 'previous', url: pageUrl(baseUrl, resourceType, query, Math.max(0, offset - count)) });
    }
    const entry = [...matches, ...included.map((r) => ({ fullUrl: `${baseUrl}/${getReferenceString(r)}`, resource: r, search: { mode: 'include' as const } }))];
    return { resourceType: 'Bundle', type: 'searchset', total: bundle.total, link, ...(entry.length ? { entry } : {}) };
  }

  private async includes(
    matches: readonly Resource[],
    include: readonly IncludeTarget[],
    revInclude: readonly IncludeTarget[]
  ): Promise<Resource[]> {
    const seen = new Set(matches.map((r) => getReferenceString(r)));
    const out: Resource[] = [];
    const add = (r: Resource): void => {
      const ref = getReferenceString(r) as string;
      if (!seen.has(ref)) {
        seen.add(ref);
        out.push(r);
      }
    };
    for (const target of include) {
      const param = getSearchParameter(target.resourceType, target.searchParam);
      if (!param?.expression) continue;
      for (const resource of matches.filter((m) => m.resourceType === target.resourceType)) {
        for (const value of evalFhirPath(param.expression, resource)) {
          const ref = (value as Reference).reference;
          if (!ref || (target.targetType && !ref.startsWith(`${target.targetType}/`))) continue;
          try {
            add(await this.repo.readReference({ reference: ref }));
          } catch (err: unknown) {
            // A dangling or deleted reference is simply not included, as on any FHIR server.
            void err;
          }
        }
      }
    }
    for (const target of revInclude) {
      for (const resource of matches) {
        const found = await this.repo.searchResources(
          parseSearchRequest(target.resourceType, { [target.searchParam]: getReferenceString(resource) as string })
        );
        found.forEach(add);
      }
    }
    return out;
  }
}

/** The journal could not be written: the write is not acknowledged and the store stops taking requests. */
export class StoreWriteError extends AppError {
  constructor(cause: unknown) {
    super('upstream-unavailable', 'embedded store: writing the journal failed', true, { cause });
  }
}

/**
 * A transaction answer as FHIR describes it: each entry's `location` names the version written
 * (`Condition/1/_history/2`), with its `etag` and `lastModified` — how a client learns the versions it created.
 */
function withVersionedLocations(bundle: Bundle): Bundle {
  return {
    ...bundle,
    entry: bundle.entry?.map((e) => {
      const r = e.resource;
      if (!r?.id || !r.meta?.versionId || !e.response) return e;
      return {
        ...e,
        response: {
          ...e.response,
          location: `${r.resourceType}/${r.id}/_history/${r.meta.versionId}`,
          etag: `W/"${r.meta.versionId}"`,
          ...(r.meta.lastUpdated ? { lastModified: r.meta.lastUpdated } : {}),
        },
      };
    }),
  };
}

function resourceHeaders(resource: Resource, baseUrl: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (resource.id && resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
    headers.Location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  return headers;
}

function pageUrl(baseUrl: string, resourceType: string, query: URLSearchParams, offset: number): string {
  const q = new URLSearchParams(query);
  q.set('_offset', String(offset));
  return `${baseUrl}/${resourceType}?${q.toString()}`;
}

function isUpdateAsCreate(req: StoreRequest, response: StoreResponse, commits: readonly PendingCommit[]): boolean {
  if (req.method.toUpperCase() !== 'PUT' || response.status !== 200 || !('id' in response.body)) return false;
  const changes = commits.flatMap((c) => c.changes);
  return changes.length === 1 && changes[0].interaction === 'create' && changes[0].id === response.body.id;
}

function isFormBody(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !('resourceType' in body);
}
