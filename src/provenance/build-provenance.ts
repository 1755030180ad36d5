/**
 * The Provenance written with each change to a note's findings (profile `chartmine-provenance`). Pure: `recorded`
 * is passed in.
 *
 * Versioned targets, honestly: a transaction creates findings with `urn:uuid` references and the server picks both
 * their ids and their version ids, so no client can name the versions inside the transaction that writes them. The
 * Provenance is therefore written in the same transaction with the targets as the server resolves them
 * (`Condition/<id>`) and the `provenance-targets-pending` tag; right after, the worker reads the versions from the
 * transaction's answer and rewrites the Provenance once with `Condition/<id>/_history/<vid>` targets, dropping the
 * tag (`stampProvenance`). If it dies in between, the note's next run finds the tagged Provenance and stamps it
 * from the targets' histories (`repairPendingProvenance`).
 */
import type { Bundle, Device, Provenance, ProvenanceEntity, Reference, Resource } from '@medplum/fhirtypes';
import type { NoteVersion } from '../fhir/finding-types.js';
import { PIPELINE_VERSION_TAG_SYSTEM, PROFILES, RUN_TAG_SYSTEM, SOURCE_DOCUMENT_TAG_SYSTEM, TARGETS_PENDING_TAG } from '../fhir/naming.js';
import { PROVENANCE_PARTICIPANT_TYPE, V3_DATA_OPERATION } from '../terminology/systems.js';
import type { SoftwareInfo } from './software.js';

/** What a write did, for Provenance.activity. */
export type WriteActivity = 'CREATE' | 'UPDATE' | 'NULLIFY';

/** Input of `buildProvenance`. */
export interface ProvenanceInput {
  readonly note: NoteVersion;
  readonly targets: readonly Reference[];
  readonly software: SoftwareInfo;
  readonly device: Reference<Device>;
  readonly recorded: string;
  readonly activity: WriteActivity;
  /** Why, when findings were retracted (e.g. "no longer supported by document version 3"). */
  readonly reasons?: readonly string[];
  /** Notes this one supersedes (`relatesTo` replaces) whose findings this write retracts. */
  readonly superseded?: readonly string[];
}

const ACTIVITY_DISPLAY: Record<WriteActivity, string> = { CREATE: 'create', UPDATE: 'revise', NULLIFY: 'nullify' };

/**
 * Builds the Provenance of one write-back transaction, tagged as pending until its targets are versioned.
 * @param input - the note version, the written targets, the software and the time.
 * @returns the Provenance.
 */
export function buildProvenance(input: ProvenanceInput): Provenance {
  const { note, software } = input;
  const entity: ProvenanceEntity[] = [
    { role: 'source', what: { reference: documentReference(note) } },
    // R4 provenance-entity-role `removal`: the superseded note's findings are taken out of use by this write.
    ...(input.superseded ?? []).map((id): ProvenanceEntity => ({ role: 'removal', what: { reference: `DocumentReference/${id}` } })),
  ];
  return {
    resourceType: 'Provenance',
    meta: {
      profile: [PROFILES.provenance],
      tag: [
        { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: note.id },
        ...(input.superseded ?? []).map((id) => ({ system: SOURCE_DOCUMENT_TAG_SYSTEM, code: id })),
        { system: PIPELINE_VERSION_TAG_SYSTEM, code: software.pipelineVersion },
        { system: RUN_TAG_SYSTEM, code: runId(note, software) },
        TARGETS_PENDING_TAG,
      ],
    },
    target: input.targets.map((t) => ({ reference: t.reference })),
    recorded: input.recorded,
    activity: { coding: [{ system: V3_DATA_OPERATION, code: input.activity, display: ACTIVITY_DISPLAY[input.activity] }] },
    ...(input.reasons && input.reasons.length > 0 ? { reason: input.reasons.map((text) => ({ text })) } : {}),
    agent: [
      {
        type: { coding: [{ system: PROVENANCE_PARTICIPANT_TYPE, code: 'assembler', display: 'Assembler' }] },
        who: input.device,
      },
    ],
    entity,
  };
}

/** The note version's reference; a deleted note (no version left) is named without one. */
function documentReference(note: Pick<NoteVersion, 'id' | 'versionId' | 'source'>): string {
  const base = note.source ? `${note.source.resourceType}/${note.source.id}` : `DocumentReference/${note.id}`;
  return note.versionId ? `${base}/_history/${note.versionId}` : base;
}

/**
 * The id of a run: one note version through one pipeline version.
 * @param note - the note version.
 * @param software - the software info.
 * @returns `<note>-v<version>-p<pipeline version>`.
 */
export function runId(note: Pick<NoteVersion, 'id' | 'versionId'>, software: Pick<SoftwareInfo, 'pipelineVersion'>): string {
  return `${note.id}-v${note.versionId || 'deleted'}-p${software.pipelineVersion}`;
}

/** An update of a stored Provenance, guarded by its version. */
export interface ProvenanceUpdate {
  readonly resource: Provenance & { id: string };
  readonly ifMatchVersion: string;
}

/**
 * The stamped Provenance of a write-back transaction: targets versioned from the transaction's answer.
 * @param request - the transaction posted (targets are its entries before the Provenance, in order).
 * @param response - the server's transaction-response.
 * @returns the update to make, or undefined when the answer does not say every version (the Provenance stays pending).
 */
export function stampProvenance(request: Bundle, response: Bundle): ProvenanceUpdate | undefined {
  const requested = request.entry ?? [];
  const answered = response.entry ?? [];
  const provenanceIndex = requested.findIndex((e) => e.resource?.resourceType === 'Provenance');
  const written = answered[provenanceIndex]?.resource as Provenance | undefined;
  const provenanceRef = written ? versionOf(written, answered[provenanceIndex]?.response?.location) : undefined;
  if (!written?.id || !provenanceRef) return undefined;
  const targets: Reference[] = [];
  for (let i = 0; i < provenanceIndex; i++) {
    const versioned = versionOf(answered[i]?.resource, answered[i]?.response?.location);
    if (!versioned) return undefined;
    targets.push({ reference: versioned.reference });
  }
  return { resource: stamped({ ...written, id: written.id }, targets), ifMatchVersion: provenanceRef.versionId };
}

/** A version the server reports, from the resource's meta or a `Type/id/_history/vid` location. */
interface VersionedRef {
  readonly reference: string;
  readonly versionId: string;
}

function versionOf(resource: Resource | undefined, location: string | undefined): VersionedRef | undefined {
  if (resource?.id && resource.meta?.versionId) {
    return { reference: `${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`, versionId: resource.meta.versionId };
  }
  const match = location ? /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})\/_history\/([A-Za-z0-9\-.]{1,64})/.exec(location) : null;
  return match ? { reference: `${match[1]}/_history/${match[2]}`, versionId: match[2] } : undefined;
}

/**
 * A pending Provenance with versioned targets and without the pending tag.
 * @param provenance - the stored, pending Provenance.
 * @param targets - its targets, versioned, in the same order.
 * @returns the stamped copy.
 */
export function stamped(provenance: Provenance & { id: string }, targets: readonly Reference[]): Provenance & { id: string } {
  const { versionId: _v, lastUpdated: _l, ...meta } = provenance.meta ?? {};
  return {
    ...provenance,
    meta: { ...meta, tag: (meta.tag ?? []).filter((t) => !(t.system === TARGETS_PENDING_TAG.system && t.code === TARGETS_PENDING_TAG.code)) },
    target: withUnversionedTwins(targets),
  };
}

/**
 * Versioned targets, then each one's unversioned twin (`Condition/1/_history/2` and `Condition/1`). Servers that
 * match reference strings exactly (Medplum) answer `Provenance?target=Condition/1` and
 * `Condition?_id=1&_revinclude=Provenance:target` only through the twin; the versioned one says which version.
 * @param targets - the versioned targets.
 * @returns versioned targets followed by their unversioned twins (each once).
 */
export function withUnversionedTwins(targets: readonly Reference[]): Reference[] {
  const versioned = targets.map((t) => t.reference ?? '').filter((r) => r.length > 0);
  const twins = versioned.map((r) => r.replace(/\/_history\/[^/]+$/, '')).filter((r, i, all) => !versioned.includes(r) && all.indexOf(r) === i);
  return [...versioned, ...twins].map((reference) => ({ reference }));
}

/**
 * Repairs a Provenance left pending (the worker stopped between the transaction and the stamp): each target's
 * version is the one whose `lastUpdated` is closest to the Provenance's own — the transaction wrote both, and the
 * per-note lock keeps any other write of these findings seconds away. Both times come from the server's clock.
 * @param provenance - the pending Provenance, as stored (its `meta.lastUpdated` is that of the transaction).
 * @param histories - each unversioned target's versions (`Type/id` → versions).
 * @returns the update, or undefined when a target has no history.
 */
export function repairPendingProvenance(
  provenance: Provenance & { id: string },
  histories: ReadonlyMap<string, readonly Resource[]>
): ProvenanceUpdate | undefined {
  const written = Date.parse(provenance.meta?.lastUpdated ?? '');
  const versionId = provenance.meta?.versionId;
  if (!Number.isFinite(written) || !versionId) return undefined;
  const targets: Reference[] = [];
  const versionedTargets = (provenance.target ?? []).map((t) => t.reference ?? '').filter((r) => r.includes('/_history/'));
  for (const target of provenance.target ?? []) {
    const reference = target.reference ?? '';
    if (reference.includes('/_history/')) {
      targets.push({ reference });
      continue;
    }
    if (versionedTargets.some((v) => v.startsWith(`${reference}/_history/`))) continue; // a twin: already versioned
    const versions = histories.get(reference) ?? [];
    let best: Resource | undefined;
    for (const v of versions) {
      const distance = Math.abs(Date.parse(v.meta?.lastUpdated ?? '') - written);
      if (Number.isFinite(distance) && (!best || distance < Math.abs(Date.parse(best.meta?.lastUpdated ?? '') - written))) best = v;
    }
    if (!best?.meta?.versionId) return undefined;
    targets.push({ reference: `${reference}/_history/${best.meta.versionId}` });
  }
  return { resource: stamped(provenance, targets), ifMatchVersion: versionId };
}
