/**
 * The embedded FHIR store's repository: `@medplum/fhir-router`'s MemoryRepository made strict and atomic.
 * - every create/update is validated against the base R4 definitions (required terminology bindings included,
 *   `required-bindings.ts`) and against the profiles it claims in
 *   `meta.profile` that the store knows (Chartmine's and FHIR's vital signs; others are ignored, as a server does
 *   for profiles it does not hold): invalid resources are refused with 400;
 * - reference searches without a version match versioned references too (`Provenance?target=Condition/1` finds a
 *   Provenance whose target is `Condition/1/_history/2`), and versioned references can be read;
 * - transactions are atomic: writes are journalled and undone if any entry fails;
 * - the server assigns ids and versions: a create (POST) ignores a client's `id` and always makes a new resource;
 *   `meta.versionId` and `meta.lastUpdated` from a client are ignored; versions count up from `1` per resource
 *   (as HAPI FHIR does); ids must match FHIR's `[A-Za-z0-9\-\.]{1,64}`; only an update (PUT) writes a given id;
 * - an update that changes nothing but `meta` keeps the current version (as Medplum's server does);
 * - every committed write is recorded as one `StoreRecord` (a transaction is one record), which the store makes
 *   durable (`store-journal.ts`) before it answers and before listeners hear about the change;
 * - deleted resources answer 410 Gone and stay in history;
 * - listeners hear about committed changes (how a new DocumentReference triggers processing);
 * - `_tag` and `identifier` searches use an index (the worker finds a note's findings by tag on every run; a
 *   linear FHIRPath scan made that cost tens of milliseconds per search once the store held a few thousand), and
 *   so does `DocumentReference?relatesto=` (the worker's successor search, which scanned and copied every note).
 * The working set lives in process memory; durability is the journal's job.
 */
import {
  badRequest,
  deepEquals,
  evalFhirPath,
  getSearchParameter,
  gone,
  matchesSearchRequest,
  notFound,
  generateId,
  OperationOutcomeError,
  Operator,
  preconditionFailed,
  type Filter,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import { validationErrors } from '../fhir/profiles/validate.js';
import { requiredBindingIssues } from './required-bindings.js';
import type { Bundle, Reference, Resource } from '@medplum/fhirtypes';
import { MemoryRepository } from '@medplum/fhir-router';
import type { CreateResourceOptions, UpdateResourceOptions } from '@medplum/fhir-router';

/** FHIR R4's `id` datatype: 1 to 64 of letters, digits, `-` and `.`. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** One write as the journal keeps it: a version written (and now current), or a resource deleted. */
export type StoreOp = { readonly put: Resource } | { readonly del: readonly [resourceType: string, id: string] };

/** Everything one commit wrote: replayed all or nothing. */
export type StoreRecord = readonly StoreOp[];

/** A commit not yet made durable: its writes and the changes to announce once it is. */
export interface PendingCommit {
  readonly record: StoreRecord;
  readonly changes: readonly ResourceChange[];
}

/** A committed change to one resource. */
export interface ResourceChange {
  readonly interaction: 'create' | 'update' | 'delete';
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string | undefined;
}

/** Called once per committed change, after the transaction (if any) commits. */
export type ChangeListener = (change: ResourceChange) => void;

interface UndoEntry {
  readonly key: string;
  readonly resourceType: string;
  readonly id: string;
  readonly previous: Resource | undefined;
  readonly historyLength: number;
  readonly wasDeleted: boolean;
}

/** Strict, atomic in-memory repository. */
export class EmbeddedRepository extends MemoryRepository {
  private readonly deleted = new Set<string>();
  /** `type \0 param \0 system|code` → ids, for `_tag` and `identifier` token searches. */
  private readonly tokenIndex = new Map<string, Set<string>>();
  /** False once a resource could not be indexed by reference: reference searches then scan, as before the index. */
  private referenceIndexComplete = true;
  private readonly listeners: ChangeListener[] = [];
  private journal: { undo: UndoEntry[]; changes: ResourceChange[]; ops: StoreOp[] } | undefined;
  private commits: PendingCommit[] = [];
  /** Told how long each resource's validation took (the bench's profile and `chartmine_store_validation_seconds`). */
  private validationObserver: ((ms: number) => void) | undefined;

  /**
   * Times every validation of a resource written.
   * @param observer - called with the milliseconds one resource's validation took.
   */
  observeValidation(observer: (ms: number) => void): void {
    this.validationObserver = observer;
  }

  /**
   * Registers a listener for committed changes.
   * @param listener - called synchronously after each commit; must not throw.
   */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Creates a resource under a new server-assigned id, whatever `id` the client sent (FHIR create semantics). Only a
   * transaction or batch assigns ids itself (`assignedId`), so `urn:uuid` references can point at them.
   */
  override async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    this.assertValid(resource);
    const id = options?.assignedId && resource.id ? resource.id : this.newId(resource.resourceType);
    return this.write({ ...resource, id }, 'create');
  }

  /** Updates (or creates, FHIR's update-as-create) the resource with the given id; the version counts up. */
  override async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    if (!resource.id) {
      throw new OperationOutcomeError(badRequest('an update needs the resource id', `${resource.resourceType}.id`));
    }
    this.assertValid(resource);
    const current = this.current(resource.resourceType, resource.id);
    if (options?.ifMatch && current?.meta?.versionId !== options.ifMatch) {
      throw new OperationOutcomeError(preconditionFailed);
    }
    if (current && sameContent(current, resource)) {
      return structuredClone(current) as WithId<T>;
    }
    return this.write(resource as WithId<T>, current ? 'update' : 'create');
  }

  private assertValid(resource: Resource): void {
    const observer = this.validationObserver;
    if (!observer) {
      assertValid(resource);
      return;
    }
    const started = performance.now();
    try {
      assertValid(resource);
    } finally {
      observer(performance.now() - started);
    }
  }

  override generateId(): string {
    return generateId();
  }

  /**
   * Takes the commits made since the last call: the store journals them, then announces their changes.
   * @returns the commits, oldest first.
   */
  takeCommits(): PendingCommit[] {
    const commits = this.commits;
    this.commits = [];
    return commits;
  }

  /**
   * Announces the changes of commits that are now durable.
   * @param commits - from `takeCommits`.
   */
  announce(commits: readonly PendingCommit[]): void {
    for (const commit of commits) {
      for (const change of commit.changes) {
        for (const listener of this.listeners) listener(change);
      }
    }
  }

  /**
   * Applies a journalled write without validation or announcement (loading from disk).
   * @param op - the write.
   */
  replay(op: StoreOp): void {
    if ('put' in op) {
      const resource = op.put;
      this.unindex(this.current(resource.resourceType, resource.id as string));
      this.deleted.delete(`${resource.resourceType}/${resource.id}`);
      this.insert(resource as WithId<Resource>);
    } else {
      const [resourceType, id] = op.del;
      this.unindex(this.current(resourceType, id));
      this.store().resources.get(resourceType)?.delete(id);
      this.deleted.add(`${resourceType}/${id}`);
    }
  }

  /**
   * Every resource's versions, oldest first, and whether it is deleted: what a snapshot holds.
   * @returns one entry per resource.
   */
  *exportState(): Generator<{ readonly versions: readonly Resource[]; readonly deleted: boolean; readonly resourceType: string; readonly id: string }> {
    for (const [resourceType, byId] of this.store().history) {
      for (const [id, versions] of byId) {
        if (versions.length > 0) yield { resourceType, id, versions, deleted: this.deleted.has(`${resourceType}/${id}`) };
      }
    }
  }

  override async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    if (this.deleted.has(`${resourceType}/${id}`)) {
      throw new OperationOutcomeError(gone);
    }
    return super.readResource<T>(resourceType, id) as Promise<WithId<T>>;
  }

  override async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id, history, versionId] = (reference.reference ?? '').split('/');
    if (resourceType && id && history === '_history' && versionId) {
      return this.readVersion<T>(resourceType, id, versionId);
    }
    if (resourceType && id && this.deleted.has(`${resourceType}/${id}`)) {
      throw new OperationOutcomeError(gone);
    }
    return super.readReference(reference);
  }

  /** History, newest first, without reordering the stored history (MemoryRepository reverses it in place). */
  override async readHistory<T extends Resource>(resourceType: string, id: string): Promise<Bundle<WithId<T>>> {
    const versions = this.historyOf(resourceType, id);
    if (versions.length === 0) {
      throw new OperationOutcomeError(notFound);
    }
    const entry = [...versions].reverse().map((resource) => ({ resource: structuredClone(resource) as WithId<T> }));
    return { resourceType: 'Bundle', type: 'history', entry };
  }

  override async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<WithId<T>> {
    const found = this.historyOf(resourceType, id).find((r) => r.meta?.versionId === versionId);
    if (!found) {
      throw new OperationOutcomeError(notFound);
    }
    return structuredClone(found) as WithId<T>;
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    const key = `${resourceType}/${id}`;
    if (this.deleted.has(key) || !this.current(resourceType, id)) {
      throw new OperationOutcomeError(notFound);
    }
    this.recordUndo(resourceType, id);
    this.unindex(this.current(resourceType, id));
    await super.deleteResource(resourceType, id);
    this.deleted.add(key);
    this.emit({ del: [resourceType, id] }, { interaction: 'delete', resourceType, id, versionId: undefined });
  }

  /**
   * Searches. A reference filter without a version also matches versioned references (FHIR servers such as HAPI
   * index references without their version; Medplum's matcher compares the strings). An equality `_tag` or
   * `identifier` filter narrows the candidates through the index first.
   */
  override async search<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const versionFree = (request.filters ?? []).filter((f) => isVersionFreeReferenceFilter(request.resourceType, f));
    if (versionFree.length === 0) {
      return this.searchIndexed(request);
    }
    const rest: SearchRequest<T> = { ...request, filters: request.filters?.filter((f) => !versionFree.includes(f)), offset: 0, count: undefined };
    const byReference = this.searchByReferenceIndex(request, rest, versionFree);
    if (byReference) return byReference;
    const candidates = ((await this.searchIndexed(rest)).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    const matches = candidates.filter((r) => versionFree.every((f) => matchesReferenceIgnoringVersion(r, f)));
    return page(matches, request);
  }

  /**
   * The version-free reference search through the reference index (`REFERENCE_INDEXED`), with exactly the answer
   * the scan in `search` gives: the index only narrows the candidates, each is checked with every filter, and the
   * matches keep the store's order. `undefined` where the scan must run: no indexed filter, a sort, another
   * index the scan would use (its order differs), or an index that could not be kept (no search expression).
   */
  private searchByReferenceIndex<T extends Resource>(
    request: SearchRequest<T>,
    rest: SearchRequest<T>,
    versionFree: readonly Filter[]
  ): Bundle<WithId<T>> | undefined {
    const indexed = versionFree.find((f) => REFERENCE_INDEXED.get(request.resourceType)?.includes(f.code));
    if (!indexed || !this.referenceIndexComplete || rest.sortRules?.length) return undefined;
    if (rest.filters?.some((f) => isIndexable(f.code, f.operator, f.value))) return undefined;
    const ids = new Set<string>();
    for (const value of indexed.value.split(',')) {
      for (const id of this.tokenIndex.get(indexKey(request.resourceType, indexed.code, value)) ?? []) ids.add(id);
    }
    const byId = this.store().resources.get(request.resourceType);
    // The scan's order is the store's (insertion) order; the index's may differ once a resource is re-indexed.
    const ordered = ids.size > 1 && byId ? [...byId.keys()].filter((id) => ids.has(id)) : [...ids];
    const matches: Resource[] = [];
    for (const id of ordered) {
      const resource = byId?.get(id);
      if (!resource || !matchesSearchRequest(resource, rest)) continue;
      if (versionFree.every((f) => matchesReferenceIgnoringVersion(resource, f))) matches.push(resource);
    }
    return page(matches as WithId<T>[], request);
  }

  private async searchIndexed<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const indexed = request.sortRules?.length ? undefined : request.filters?.find((f) => isIndexable(f.code, f.operator, f.value));
    if (!indexed) {
      return super.search(request);
    }
    const ids = this.tokenIndex.get(indexKey(request.resourceType, indexed.code, indexed.value)) ?? new Set<string>();
    const matches: Resource[] = [];
    for (const id of ids) {
      const resource = this.current(request.resourceType, id);
      if (resource && matchesSearchRequest(resource, request)) matches.push(resource);
    }
    return page(matches as WithId<T>[], request);
  }

  /** Runs `callback` atomically: on any error every write it made is undone and no change is announced. */
  override async withTransaction<TResult>(callback: (client: undefined) => Promise<TResult>): Promise<TResult> {
    if (this.journal) {
      return callback(undefined); // nested: the outer transaction owns the journal
    }
    const journal: { undo: UndoEntry[]; changes: ResourceChange[]; ops: StoreOp[] } = { undo: [], changes: [], ops: [] };
    this.journal = journal;
    try {
      const result = await callback(undefined);
      this.journal = undefined;
      if (journal.ops.length > 0) this.commits.push({ record: journal.ops, changes: journal.changes });
      return result;
    } catch (err: unknown) {
      this.journal = undefined;
      this.rollback(journal.undo);
      throw err;
    }
  }

  private async write<T extends Resource>(resource: WithId<T>, interaction: 'create' | 'update'): Promise<WithId<T>> {
    const { resourceType, id } = resource;
    this.recordUndo(resourceType, id);
    this.deleted.delete(`${resourceType}/${id}`);
    this.unindex(this.current(resourceType, id));
    const saved = {
      ...structuredClone(resource),
      meta: { ...withoutVersion(resource.meta), versionId: this.nextVersion(resourceType, id), lastUpdated: new Date().toISOString() },
    } as WithId<T>;
    this.insert(saved);
    this.emit({ put: saved }, { interaction, resourceType, id, versionId: saved.meta?.versionId });
    return structuredClone(saved);
  }

  /** Stores a version as current and appends it to history (the resource is not copied: callers pass their own). */
  private insert(resource: WithId<Resource>): void {
    const { resources, history } = this.store();
    let byId = resources.get(resource.resourceType);
    if (!byId) resources.set(resource.resourceType, (byId = new Map()));
    byId.set(resource.id, resource);
    let historyById = history.get(resource.resourceType);
    if (!historyById) history.set(resource.resourceType, (historyById = new Map()));
    let versions = historyById.get(resource.id);
    if (!versions) historyById.set(resource.id, (versions = []));
    versions.push(resource);
    this.index(resource);
  }

  /** `1` for a new resource, then one more than the latest version (a deleted resource's versions stay counted). */
  private nextVersion(resourceType: string, id: string): string {
    const versions = this.historyOf(resourceType, id);
    const latest = Number(versions[versions.length - 1]?.meta?.versionId);
    return String(Number.isSafeInteger(latest) ? latest + 1 : versions.length + 1);
  }

  private newId(resourceType: string): string {
    for (;;) {
      const id = this.generateId();
      if (this.historyOf(resourceType, id).length === 0) return id;
    }
  }

  private recordUndo(resourceType: string, id: string): void {
    if (!this.journal) return;
    const key = `${resourceType}/${id}`;
    this.journal.undo.push({
      key,
      resourceType,
      id,
      previous: this.current(resourceType, id),
      historyLength: this.historyOf(resourceType, id).length,
      wasDeleted: this.deleted.has(key),
    });
  }

  private rollback(undo: readonly UndoEntry[]): void {
    for (const entry of [...undo].reverse()) {
      const byId = this.store().resources.get(entry.resourceType);
      this.unindex(byId?.get(entry.id));
      this.index(entry.previous);
      if (entry.previous) {
        byId?.set(entry.id, entry.previous);
      } else {
        byId?.delete(entry.id);
      }
      const history = this.store().history.get(entry.resourceType)?.get(entry.id);
      if (history) {
        history.length = entry.historyLength;
      }
      if (entry.wasDeleted) {
        this.deleted.add(entry.key);
      } else {
        this.deleted.delete(entry.key);
      }
    }
  }

  private emit(op: StoreOp, change: ResourceChange): void {
    if (this.journal) {
      this.journal.ops.push(op);
      this.journal.changes.push(change);
    } else {
      this.commits.push({ record: [op], changes: [change] });
    }
  }

  private index(resource: Resource | undefined): void {
    for (const key of this.indexKeys(resource)) {
      let ids = this.tokenIndex.get(key);
      if (!ids) this.tokenIndex.set(key, (ids = new Set()));
      ids.add(resource?.id as string);
    }
  }

  private unindex(resource: Resource | undefined): void {
    for (const key of this.indexKeys(resource)) {
      this.tokenIndex.get(key)?.delete(resource?.id as string);
    }
  }

  /** The index keys of a resource: its tags and identifiers, and its indexed references without their version. */
  private indexKeys(resource: Resource | undefined): string[] {
    const keys = tokenKeys(resource);
    if (!resource?.id) return keys;
    for (const param of REFERENCE_INDEXED.get(resource.resourceType) ?? []) {
      const expression = getSearchParameter(resource.resourceType, param)?.expression;
      if (!expression) {
        this.referenceIndexComplete = false; // cannot happen once the definitions are loaded; the scan stays correct
        continue;
      }
      for (const reference of referencesWithoutVersion(expression, resource)) {
        keys.push(indexKey(resource.resourceType, param, reference));
      }
    }
    return keys;
  }

  private current(resourceType: string, id: string): Resource | undefined {
    return this.store().resources.get(resourceType)?.get(id);
  }

  private historyOf(resourceType: string, id: string): Resource[] {
    return this.store().history.get(resourceType)?.get(id) ?? [];
  }

  /** MemoryRepository keeps its maps private; this is the one place that reaches them. */
  private store(): { resources: Map<string, Map<string, Resource>>; history: Map<string, Map<string, Resource[]>> } {
    return this as unknown as {
      resources: Map<string, Map<string, Resource>>;
      history: Map<string, Map<string, Resource[]>>;
    };
  }
}

/** Token search parameters the repository indexes. */
const INDEXED_PARAMS = new Set(['_tag', 'identifier']);

/**
 * Reference search parameters indexed (without the reference's version), by resource type: the worker searches
 * `DocumentReference?relatesto=` for a note's successor on every run, which otherwise scans (and copies) every note.
 */
const REFERENCE_INDEXED: ReadonlyMap<string, readonly string[]> = new Map([['DocumentReference', ['relatesto']]]);

function isIndexable(code: string, operator: string, value: string): boolean {
  return INDEXED_PARAMS.has(code) && operator === Operator.EQUALS && value.includes('|') && !value.includes(',') && !value.startsWith('|') && !value.endsWith('|');
}

function indexKey(resourceType: string, param: string, value: string): string {
  return `${resourceType}\0${param}\0${value}`;
}

function tokenKeys(resource: Resource | undefined): string[] {
  if (!resource?.id) return [];
  const keys = (resource.meta?.tag ?? [])
    .filter((t) => t.system && t.code)
    .map((t) => indexKey(resource.resourceType, '_tag', `${t.system}|${t.code}`));
  const identifiers = (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
  for (const i of identifiers) {
    if (i.system && i.value) keys.push(indexKey(resource.resourceType, 'identifier', `${i.system}|${i.value}`));
  }
  return keys;
}

/** One page of matches, as a searchset Bundle. */
function page<T extends Resource>(matches: readonly Resource[], request: SearchRequest<T>): Bundle<WithId<T>> {
  const offset = request.offset ?? 0;
  const slice = matches.slice(offset, request.count === undefined ? undefined : offset + request.count);
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    ...(slice.length ? { entry: slice.map((r) => ({ resource: structuredClone(r) as WithId<T> })) } : {}),
  };
}

function isVersionFreeReferenceFilter(resourceType: string, filter: Filter): boolean {
  if (filter.operator !== Operator.EQUALS || filter.value.includes('/_history/') || !filter.value.includes('/')) return false;
  return getSearchParameter(resourceType, filter.code)?.type === 'reference';
}

function matchesReferenceIgnoringVersion(resource: Resource, filter: Filter): boolean {
  const expression = getSearchParameter(resource.resourceType, filter.code)?.expression;
  if (!expression) return false;
  const wanted = filter.value.split(',');
  return referencesWithoutVersion(expression, resource).some((reference) => wanted.includes(reference));
}

/** The references a search parameter's expression finds in a resource, each without `/_history/<version>`. */
function referencesWithoutVersion(expression: string, resource: Resource): string[] {
  const references: string[] = [];
  for (const value of evalFhirPath(expression, resource)) {
    const reference = (value as Reference | undefined)?.reference?.replace(/\/_history\/[^/]+$/, '');
    if (reference !== undefined) references.push(reference);
  }
  return references;
}

function assertValid(resource: Resource): void {
  if (resource.id !== undefined && (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id))) {
    throw new OperationOutcomeError(badRequest('id must be 1 to 64 letters, digits, "-" or "."', `${resource.resourceType}.id`));
  }
  const errors = [...validationErrors(resource, { unknownProfiles: 'ignore' }), ...requiredBindingIssues(resource)];
  if (errors.length > 0) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource): Resource => ({ ...r, meta: { ...withoutVersion(r.meta) } });
  return deepEquals(strip(a), strip(b));
}

function withoutVersion(meta: Resource['meta']): Resource['meta'] {
  if (!meta) return undefined;
  const { versionId: _v, lastUpdated: _l, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
