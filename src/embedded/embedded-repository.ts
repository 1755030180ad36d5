/**
 * The embedded FHIR store's repository: `@medplum/fhir-router`'s MemoryRepository made strict and atomic.
 * - every create/update is validated against the base R4 definitions (invalid resources are refused with 400);
 * - transactions are atomic: writes are journalled and undone if any entry fails;
 * - an update that changes nothing but `meta` keeps the current version (as Medplum's server does);
 * - deleted resources answer 410 Gone and stay in history;
 * - listeners hear about committed changes (how a new DocumentReference triggers processing);
 * - `_tag` and `identifier` searches use an index (the worker finds a note's findings by tag on every run; a
 *   linear FHIRPath scan made that cost tens of milliseconds per search once the store held a few thousand).
 * Everything lives in process memory: it is a store for the default set-up and tests, not a database.
 */
import {
  deepEquals,
  gone,
  matchesSearchRequest,
  notFound,
  OperationOutcomeError,
  Operator,
  preconditionFailed,
  validateResource,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import type { Bundle, Reference, Resource } from '@medplum/fhirtypes';
import { MemoryRepository } from '@medplum/fhir-router';
import type { UpdateResourceOptions } from '@medplum/fhir-router';

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
  private readonly listeners: ChangeListener[] = [];
  private journal: { undo: UndoEntry[]; changes: ResourceChange[] } | undefined;

  /**
   * Registers a listener for committed changes.
   * @param listener - called synchronously after each commit; must not throw.
   */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    assertValid(resource);
    return this.write(resource, 'create');
  }

  override async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    assertValid(resource);
    if (resource.id) {
      const current = this.current(resource.resourceType, resource.id);
      if (options?.ifMatch && current?.meta?.versionId !== options.ifMatch) {
        throw new OperationOutcomeError(preconditionFailed);
      }
      if (current && sameContent(current, resource)) {
        return structuredClone(current) as WithId<T>;
      }
      const stripped = { ...resource, meta: withoutVersion(resource.meta) } as T;
      return this.write(stripped, current ? 'update' : 'create');
    }
    return this.write(resource, 'create');
  }

  override async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    if (this.deleted.has(`${resourceType}/${id}`)) {
      throw new OperationOutcomeError(gone);
    }
    return super.readResource<T>(resourceType, id) as Promise<WithId<T>>;
  }

  override async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id] = (reference.reference ?? '').split('/');
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
    this.emit({ interaction: 'delete', resourceType, id, versionId: undefined });
  }

  /** Searches; an equality `_tag` or `identifier` filter narrows the candidates through the index first. */
  override async search<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
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
    const offset = request.offset ?? 0;
    const page = matches.slice(offset, request.count === undefined ? undefined : offset + request.count);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      ...(page.length ? { entry: page.map((r) => ({ resource: structuredClone(r) as WithId<T> })) } : {}),
    };
  }

  /** Runs `callback` atomically: on any error every write it made is undone and no change is announced. */
  override async withTransaction<TResult>(callback: (client: undefined) => Promise<TResult>): Promise<TResult> {
    if (this.journal) {
      return callback(undefined); // nested: the outer transaction owns the journal
    }
    const journal: { undo: UndoEntry[]; changes: ResourceChange[] } = { undo: [], changes: [] };
    this.journal = journal;
    try {
      const result = await callback(undefined);
      this.journal = undefined;
      journal.changes.forEach((c) => this.announce(c));
      return result;
    } catch (err: unknown) {
      this.journal = undefined;
      this.rollback(journal.undo);
      throw err;
    }
  }

  private async write<T extends Resource>(resource: T, interaction: 'create' | 'update'): Promise<WithId<T>> {
    if (resource.id) {
      this.recordUndo(resource.resourceType, resource.id);
      this.deleted.delete(`${resource.resourceType}/${resource.id}`);
      this.unindex(this.current(resource.resourceType, resource.id));
    }
    const saved = await super.createResource(resource);
    this.index(saved);
    if (!resource.id) {
      // The id was generated inside createResource: nothing existed before, so undo is a plain removal.
      this.journal?.undo.push({
        key: `${saved.resourceType}/${saved.id}`,
        resourceType: saved.resourceType,
        id: saved.id,
        previous: undefined,
        historyLength: 0,
        wasDeleted: false,
      });
    }
    this.emit({ interaction, resourceType: saved.resourceType, id: saved.id, versionId: saved.meta?.versionId });
    return saved;
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

  private emit(change: ResourceChange): void {
    if (this.journal) {
      this.journal.changes.push(change);
    } else {
      this.announce(change);
    }
  }

  private announce(change: ResourceChange): void {
    for (const listener of this.listeners) {
      listener(change);
    }
  }

  private index(resource: Resource | undefined): void {
    for (const key of tokenKeys(resource)) {
      let ids = this.tokenIndex.get(key);
      if (!ids) this.tokenIndex.set(key, (ids = new Set()));
      ids.add(resource?.id as string);
    }
  }

  private unindex(resource: Resource | undefined): void {
    for (const key of tokenKeys(resource)) {
      this.tokenIndex.get(key)?.delete(resource?.id as string);
    }
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

function assertValid(resource: Resource): void {
  const issues = validateResource(resource);
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
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
