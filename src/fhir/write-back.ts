/**
 * Plans the write-back of one note version: compares the findings Chartmine wants with the ones the server has
 * (found by the source-document tag, matched by identifier) and writes only the difference, with a Provenance,
 * in one transaction. Pure: `recorded` and the existing resources are passed in.
 *
 * Why a diff rather than conditional creates: Medplum (and @medplum/fhir-router, behind the embedded store) run a
 * transaction that contains any conditional create/update serialisably and refuse it above 8 entries, and refuse
 * more than 50 updates in one transaction. A note easily yields 20 findings. So creates are plain POSTs with
 * `urn:uuid` targets, updates are PUTs guarded by `If-Match`, and idempotency comes from the diff itself: the same
 * note version processed twice finds everything in place and writes nothing. The worker holds a per-note lock while
 * it reads, diffs and writes, so two runs never interleave.
 */
import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, Device, Extension, Reference, Resource } from '@medplum/fhirtypes';
import { buildProvenance, type WriteActivity } from '../provenance/build-provenance.js';
import type { SoftwareInfo } from '../provenance/software.js';
import { isReviewed } from '../review/review-codes.js';
import type { DesiredFinding, NoteVersion } from './finding-types.js';
import { CONFIDENCE_EXTENSION_URL, DERIVATION_REFERENCE_URL, FINDING_IDENTIFIER_SYSTEM, PIPELINE_VERSION_EXTENSION_URL } from './naming.js';

/** Medplum's limit on PUTs in one transaction (`maxUpdates` in its batch processor). */
export const MAX_UPDATES_PER_TRANSACTION = 50;

/** Input of `planWriteBack`. */
export interface WriteBackInput {
  readonly note: NoteVersion;
  readonly desired: readonly DesiredFinding[];
  /** What the server has now for this note (every derived type). */
  readonly existing: readonly Resource[];
  readonly software: SoftwareInfo;
  readonly device: Reference<Device>;
  readonly recorded: string;
  /** Why existing findings that are no longer wanted are retracted. */
  readonly retractionReason?: string;
  /**
   * Notes this version supersedes (`relatesTo` replaces): everything derived from them is retracted in the same
   * transaction, under this version's Provenance.
   */
  readonly superseded?: readonly { readonly noteId: string; readonly resources: readonly Resource[] }[];
}

/** The transactions to post, in order, and what they do. */
export interface WriteBackPlan {
  readonly bundles: readonly Bundle[];
  readonly created: number;
  readonly updated: number;
  readonly retracted: number;
  readonly unchanged: number;
  /** Findings a reviewer decided on that this run would have changed or retracted: left as the reviewer left them. */
  readonly keptReviewed: number;
}

interface PlannedEntry {
  readonly entry: BundleEntry;
  readonly target: Reference;
  readonly kind: 'create' | 'update' | 'retract';
  /** For retractions of a superseded note's findings: that note's id. */
  readonly supersededNote?: string;
}

/**
 * Plans the transactions that bring the server from `existing` to `desired`.
 * @param input - desired and existing findings, software, device and time.
 * @returns the plan; no bundles when nothing changes.
 */
export function planWriteBack(input: WriteBackInput): WriteBackPlan {
  const existingByIdentifier = new Map<string, Resource>();
  for (const resource of input.existing) {
    const value = findingIdentifierOf(resource);
    if (value) existingByIdentifier.set(`${resource.resourceType}|${value}`, resource);
  }
  const planned: PlannedEntry[] = [];
  let unchanged = 0;
  let keptReviewed = 0;
  const wanted = new Set<string>();
  for (const finding of input.desired) {
    const lookup = `${finding.resource.resourceType}|${finding.identifier}`;
    wanted.add(lookup);
    const current = existingByIdentifier.get(lookup);
    if (current && isReviewed(current)) {
      // A reviewer's decision stands: re-analysis never overwrites it (README "Reviewing findings").
      keptReviewed++;
    } else if (!current) {
      const fullUrl = `urn:uuid:${uuidFrom(finding.identifier)}`;
      planned.push({
        kind: 'create',
        target: { reference: fullUrl },
        entry: { fullUrl, resource: finding.resource, request: { method: 'POST', url: finding.resource.resourceType } },
      });
    } else if (semanticView(current) === semanticView(finding.resource) && !isRetracted(current)) {
      unchanged++;
    } else {
      planned.push(updateEntry(current, finding.resource, 'update'));
    }
  }
  for (const [lookup, current] of existingByIdentifier) {
    if (!wanted.has(lookup) && !isRetracted(current) && isReviewed(current)) {
      keptReviewed++;
    } else if (!wanted.has(lookup) && !isRetracted(current)) {
      planned.push(updateEntry(current, retract(current), 'retract'));
    }
  }
  for (const predecessor of input.superseded ?? []) {
    for (const current of predecessor.resources) {
      if (!isRetracted(current) && isReviewed(current)) keptReviewed++;
      else if (!isRetracted(current)) planned.push({ ...updateEntry(current, retract(current), 'retract'), supersededNote: predecessor.noteId });
    }
  }
  const count = (kind: PlannedEntry['kind']): number => planned.filter((p) => p.kind === kind).length;
  return {
    bundles: chunk(planned).map((entries) => toTransaction(entries, input)),
    created: count('create'),
    updated: count('update'),
    retracted: count('retract'),
    unchanged,
    keptReviewed,
  };
}

function updateEntry(current: Resource, next: Resource, kind: 'update' | 'retract'): PlannedEntry {
  const ref = `${current.resourceType}/${current.id}`;
  const versionId = current.meta?.versionId;
  return {
    kind,
    target: { reference: ref },
    entry: {
      fullUrl: ref,
      resource: { ...next, id: current.id } as Resource,
      request: { method: 'PUT', url: ref, ...(versionId ? { ifMatch: `W/"${versionId}"` } : {}) },
    },
  };
}

/** Creates first, then at most MAX_UPDATES_PER_TRANSACTION PUTs per transaction. */
function chunk(planned: readonly PlannedEntry[]): PlannedEntry[][] {
  if (planned.length === 0) return [];
  const creates = planned.filter((p) => p.kind === 'create');
  const puts = planned.filter((p) => p.kind !== 'create');
  const chunks: PlannedEntry[][] = [[...creates, ...puts.slice(0, MAX_UPDATES_PER_TRANSACTION)]];
  for (let i = MAX_UPDATES_PER_TRANSACTION; i < puts.length; i += MAX_UPDATES_PER_TRANSACTION) {
    chunks.push(puts.slice(i, i + MAX_UPDATES_PER_TRANSACTION));
  }
  return chunks;
}

function toTransaction(entries: readonly PlannedEntry[], input: WriteBackInput): Bundle {
  const kinds = new Set(entries.map((e) => e.kind));
  const activity: WriteActivity =
    kinds.size === 1 && kinds.has('create') ? 'CREATE' : kinds.size === 1 && kinds.has('retract') ? 'NULLIFY' : 'UPDATE';
  const superseded = [...new Set(entries.flatMap((e) => (e.supersededNote ? [e.supersededNote] : [])))];
  const reasons = [
    ...(entries.some((e) => e.kind === 'retract' && !e.supersededNote)
      ? [input.retractionReason ?? `not supported by DocumentReference/${input.note.id} version ${input.note.versionId}`]
      : []),
    ...superseded.map((id) => `DocumentReference/${id} superseded by DocumentReference/${input.note.id} version ${input.note.versionId}`),
  ];
  const provenance = buildProvenance({
    note: input.note,
    targets: entries.map((e) => e.target),
    software: input.software,
    device: input.device,
    recorded: input.recorded,
    activity,
    ...(reasons.length > 0 ? { reasons } : {}),
    ...(superseded.length > 0 ? { superseded } : {}),
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      ...entries.map((e) => e.entry),
      {
        fullUrl: `urn:uuid:${uuidFrom(`provenance|${input.note.id}|${input.note.versionId}|${entries[0].target.reference}`)}`,
        resource: provenance,
        request: { method: 'POST', url: 'Provenance' },
      },
    ],
  };
}

/**
 * The resource marked `entered-in-error`, the FHIR way for each type.
 * @param resource - a derived resource.
 * @returns the retracted copy.
 */
export function retract(resource: Resource): Resource {
  const copy = structuredClone(resource) as Resource & Record<string, unknown>;
  switch (copy.resourceType) {
    case 'Condition':
      delete copy.clinicalStatus;
      copy.verificationStatus = {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error', display: 'Entered in Error' }],
      };
      return copy;
    case 'AllergyIntolerance':
      delete copy.clinicalStatus;
      copy.verificationStatus = {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'entered-in-error', display: 'Entered in Error' },
        ],
      };
      return copy;
    default:
      copy.status = 'entered-in-error';
      return copy;
  }
}

/**
 * Whether a derived resource is already retracted.
 * @param resource - a derived resource.
 * @returns true when marked entered-in-error.
 */
export function isRetracted(resource: Resource): boolean {
  const r = resource as Resource & { status?: string; verificationStatus?: { coding?: { code?: string }[] } };
  if (r.resourceType === 'Condition' || r.resourceType === 'AllergyIntolerance') {
    return r.verificationStatus?.coding?.some((c) => c.code === 'entered-in-error') ?? false;
  }
  return r.status === 'entered-in-error';
}

function findingIdentifierOf(resource: Resource): string | undefined {
  const identifiers = (resource as { identifier?: { system?: string; value?: string }[] }).identifier;
  return identifiers?.find((i) => i.system === FINDING_IDENTIFIER_SYSTEM)?.value;
}

/**
 * What a finding says, for comparison: everything but metadata other than the profiles, the spans (they move when a new
 * version adds text above them), the confidence and the pipeline version that wrote it. A finding is rewritten only
 * when what it says changes: reprocessing with a new pipeline rewrites only what the new pipeline says differently,
 * and an unchanged finding keeps pointing at the note version (and spans) it was written from.
 */
function semanticView(resource: Resource): string {
  const { id: _id, meta, ...rest } = resource as Resource & { extension?: Extension[] };
  const extension = (rest as { extension?: Extension[] }).extension?.filter(
    (e) => e.url !== DERIVATION_REFERENCE_URL && e.url !== CONFIDENCE_EXTENSION_URL && e.url !== PIPELINE_VERSION_EXTENSION_URL
  );
  // The claimed profiles count: a resource written before it claimed (or conformed to) a profile is rewritten once.
  return stableStringify(withoutNestedSpans({ ...rest, extension, profile: [...(meta?.profile ?? [])].sort() }));
}

/** Drops derivation-reference extensions below the top level too (feedback Observations carry spans on components). */
function withoutNestedSpans(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .filter((v) => !(v && typeof v === 'object' && (v as { url?: unknown }).url === DERIVATION_REFERENCE_URL))
      .map(withoutNestedSpans);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutNestedSpans(v)]));
  }
  return value;
}

/**
 * Canonical JSON of a value in the form a server stores it: keys sorted, and empty arrays, objects and strings
 * dropped (invalid FHIR JSON that Medplum drops on write), so what Chartmine built and what the server gives back
 * compare equal when they say the same thing.
 */
function stableStringify(value: unknown): string {
  return JSON.stringify(normalised(value)) ?? 'null';
}

function normalised(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalised).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]): [string, unknown] => [k, normalised(v)])
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value === '' ? undefined : value;
}

/** A deterministic UUID-shaped id for `urn:uuid:` references inside the transaction. */
function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
