/**
 * The reviewer page's use cases over the FHIR gateway (the same port the worker uses, so the page works against the
 * embedded store and an external server alike, with Chartmine's credentials): list notes, read a note with its
 * findings, a finding's Provenance chain, and record a decision.
 */
import type { Bundle, Device, DocumentReference, Provenance, Resource } from '@medplum/fhirtypes';
import { AppError } from '../errors.js';
import type { FhirGateway } from '../fhir/gateway.js';
import { FhirHttpError } from '../fhir/fhir-http.js';
import { DERIVED_RESOURCE_TYPES, NLP_DERIVED_TAG } from '../fhir/naming.js';
import { readNoteText } from '../fhir/note-text.js';
import type { TerminologyIndex } from '../terminology/types.js';
import { buildReviewTransaction, type ReviewDecision, type Reviewer } from './decision.js';
import { toFindingView, toNoteSummary, toProvenanceStep, type FindingView, type NoteSummary, type ProvenanceStep } from './finding-view.js';

/** Most notes one search lists. */
export const MAX_LISTED_NOTES = 100;

/** A request the reviewer API answers with a 4xx; the message is ours (ids and rules only, never content). */
export class ReviewRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 412,
    message: string
  ) {
    super(message);
    this.name = 'ReviewRequestError';
  }
}

/** Filters of the note list (FHIR search values). */
export interface NoteQuery {
  readonly patient?: string | undefined;
  readonly date?: string | undefined;
  readonly status?: string | undefined;
  /** One note by its id. */
  readonly id?: string | undefined;
}

/** A note with its text and findings. */
export interface NoteDetail {
  readonly note: NoteSummary;
  readonly text: string;
  /** `DocumentReference/<id>/_history/<version>` the text is. */
  readonly document: string;
  readonly findings: readonly FindingView[];
}

/** A Device in a Provenance chain (the pipeline version that wrote a finding). */
export interface DeviceView {
  readonly ref: string;
  readonly name: string | undefined;
  readonly versions: readonly string[];
}

/** The gateway, and (MedplumFhirGateway has it) one page of a search, so a note list never walks a whole server. */
export type ReviewGateway = FhirGateway & { readSearchPage?(url: string): Promise<Bundle> };

/** Dependencies of the service. */
export interface ReviewServiceDeps {
  /** The FHIR gateway (resolved per call: the server's gateway exists once it listens). */
  readonly fhir: () => ReviewGateway;
  readonly maxDocumentBytes: number;
  readonly now: () => string;
  /** The terminology index, loaded on first use (code suggestions when correcting); absent: no suggestions. */
  readonly terminology?: () => Promise<TerminologyIndex>;
}

/** A code the reviewer may choose when correcting a finding. */
export interface CodeSuggestion {
  readonly system: string;
  readonly code: string;
  readonly display: string | undefined;
  /** The concept's preferred name and semantic group, to tell candidates apart. */
  readonly concept: string;
  readonly group: string;
}

/** Most code suggestions one query returns. */
export const MAX_CODE_SUGGESTIONS = 20;

/** The reviewer page's use cases. */
export class ReviewService {
  constructor(private readonly deps: ReviewServiceDeps) {}

  /**
   * Notes matching the filters, newest first.
   * @param query - patient (`Patient/<id>` or an id), date (a FHIR date search value) and status.
   * @returns at most MAX_LISTED_NOTES summaries.
   */
  async listNotes(query: NoteQuery): Promise<NoteSummary[]> {
    const params: [string, string][] = [];
    if (query.patient) params.push(['subject', query.patient.includes('/') ? query.patient : `Patient/${query.patient}`]);
    if (query.date) params.push(['date', query.date]);
    if (query.status) params.push(['status', query.status]);
    if (query.id) params.push(['_id', query.id.replace(/^DocumentReference\//, '')]);
    const fhir = this.deps.fhir();
    let notes: (DocumentReference & { id: string })[];
    if (fhir.readSearchPage) {
      const search = new URLSearchParams([...params, ['_sort', '-date'], ['_count', String(MAX_LISTED_NOTES)]]);
      const page = await fhir.readSearchPage(`${fhir.baseUrl}DocumentReference?${search.toString()}`);
      notes = (page.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'DocumentReference' && e.search?.mode !== 'include' ? [e.resource as DocumentReference & { id: string }] : []));
    } else {
      notes = (await fhir.searchAll('DocumentReference', params)) as (DocumentReference & { id: string })[];
    }
    return notes
      .map(toNoteSummary)
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''))
      .slice(0, MAX_LISTED_NOTES);
  }

  /**
   * A note's current text and every finding derived from it.
   * @param id - the DocumentReference id.
   * @returns the note.
   */
  async readNote(id: string): Promise<NoteDetail> {
    const fhir = this.deps.fhir();
    const read = await fhir.readNote(id);
    if (read.state !== 'found') throw new ReviewRequestError(404, `DocumentReference/${id} not found`);
    const note = read.note;
    const { text } = await readNoteText(note, (url, max) => fhir.readAttachment(url, max), this.deps.maxDocumentBytes);
    const findings = ((await fhir.readDerived(id)) as (Resource & { id: string })[]).map(toFindingView);
    return { note: toNoteSummary(note), text, document: `DocumentReference/${id}/_history/${note.meta?.versionId ?? ''}`, findings };
  }

  /**
   * The Provenance chain of a finding: every Provenance that targets it (pipeline writes and reviewer decisions),
   * oldest first, and the pipeline Devices they name.
   * @param resourceType - a derived resource type.
   * @param id - the resource id.
   * @returns the steps and devices.
   */
  async readProvenance(resourceType: string, id: string): Promise<{ steps: ProvenanceStep[]; devices: DeviceView[] }> {
    assertDerivedType(resourceType);
    const fhir = this.deps.fhir();
    const provenances = (await fhir.searchAll('Provenance', [['target', `${resourceType}/${id}`]])) as (Provenance & { id: string })[];
    const own = (target: string): boolean => target === `${resourceType}/${id}` || target.startsWith(`${resourceType}/${id}/_history/`);
    // A pipeline Provenance names every finding of its run: the chain shows only this one.
    const steps = provenances
      .map(toProvenanceStep)
      .map((s) => {
        // Pipeline Provenance names a target both versioned and bare (for searches): show the versioned one.
        const targets = [...new Set(s.targets.filter(own))];
        const versioned = targets.filter((t) => t.includes('/_history/'));
        return { ...s, targets: versioned.length > 0 ? versioned : targets };
      })
      .sort((a, b) => (a.recorded ?? '').localeCompare(b.recorded ?? ''));
    const deviceIds = [
      ...new Set(provenances.flatMap((p) => p.agent.map((a) => a.who.reference ?? '')).filter((r) => r.startsWith('Device/')).map((r) => r.slice(7))),
    ];
    const devices = deviceIds.length > 0 ? ((await fhir.searchAll('Device', [['_id', deviceIds.join(',')]])) as (Device & { id: string })[]) : [];
    return {
      steps,
      devices: devices.map((d) => ({
        ref: `Device/${d.id}`,
        name: d.deviceName?.[0]?.name,
        versions: (d.version ?? []).map((v) => `${v.type?.coding?.[0]?.code ?? v.type?.text ?? 'version'} ${v.value}`),
      })),
    };
  }

  /**
   * Records a decision, unless the finding changed since the reviewer loaded it.
   * @param resourceType - a derived resource type.
   * @param id - the resource id.
   * @param versionId - the version the reviewer saw.
   * @param decision - the decision.
   * @param reviewer - who decided.
   * @returns the finding as it is now and the decision's Provenance.
   * @throws ReviewRequestError 404 (no such finding), 412 (changed since loaded).
   */
  async decide(resourceType: string, id: string, versionId: string, decision: ReviewDecision, reviewer: Reviewer): Promise<{ finding: FindingView; provenance: string }> {
    assertDerivedType(resourceType);
    const fhir = this.deps.fhir();
    const current = await this.readFinding(resourceType, id);
    if (current.meta?.versionId !== versionId) throw staleError(resourceType, id);
    const bundle = buildReviewTransaction({ resource: current, decision, reviewer, recorded: this.deps.now() });
    let response: Bundle;
    try {
      response = await fhir.executeTransaction(bundle);
    } catch (err: unknown) {
      if (isConflict(err)) throw staleError(resourceType, id);
      throw err;
    }
    const statuses = (response.entry ?? []).map((e) => e.response?.status ?? '');
    if (statuses.length !== 2 || !statuses.every((s) => s.startsWith('2'))) {
      // A server that runs transactions non-atomically may have refused one entry inside a 200.
      throw new AppError('write-back-rejected', `review transaction not fully applied: ${statuses.join(', ')}`, false);
    }
    const updated = await this.readFinding(resourceType, id);
    const provenance = response.entry?.[1]?.resource as (Provenance & { id: string }) | undefined;
    const provenanceRef = provenance ? `Provenance/${provenance.id}` : (response.entry?.[1]?.response?.location ?? '');
    if (provenance?.meta?.versionId && updated.meta?.versionId) {
      // Name the version the decision produced (the transaction could only name the resource).
      await fhir.updateResource({ ...provenance, target: [{ reference: `${resourceType}/${id}/_history/${updated.meta.versionId}` }] }, provenance.meta.versionId);
    }
    return { finding: toFindingView(updated), provenance: provenanceRef };
  }

  /**
   * Codes for a phrase, from the terminology index the pipeline codes with (every coding of each concept matched).
   * @param text - what the reviewer typed, e.g. "essential hypertension".
   * @returns at most MAX_CODE_SUGGESTIONS codings.
   */
  async suggestCodes(text: string): Promise<CodeSuggestion[]> {
    if (!this.deps.terminology) return [];
    const index = await this.deps.terminology();
    const seen = new Set<string>();
    const out: CodeSuggestion[] = [];
    for (const match of index.match(text)) {
      for (const c of match.concept.codings) {
        const key = `${c.system}|${c.code}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ system: c.system, code: c.code, display: c.display, concept: match.concept.display, group: match.concept.group });
      }
    }
    return out.slice(0, MAX_CODE_SUGGESTIONS);
  }

  private async readFinding(resourceType: string, id: string): Promise<Resource & { id: string }> {
    const [found] = (await this.deps.fhir().searchAll(resourceType, [['_id', id]])) as (Resource & { id: string })[];
    const derived = found?.meta?.tag?.some((t) => t.system === NLP_DERIVED_TAG.system && t.code === NLP_DERIVED_TAG.code);
    if (!found || !derived) throw new ReviewRequestError(404, `${resourceType}/${id} is not a finding Chartmine derived`);
    return found;
  }
}

function assertDerivedType(resourceType: string): void {
  if (!(DERIVED_RESOURCE_TYPES as readonly string[]).includes(resourceType)) {
    throw new ReviewRequestError(404, `${resourceType} is not a finding type`);
  }
}

function staleError(resourceType: string, id: string): ReviewRequestError {
  return new ReviewRequestError(412, `${resourceType}/${id} changed since you loaded it; reload the note`);
}

/** 409/412 from the server: the `If-Match` version is no longer current. */
function isConflict(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof FhirHttpError && (e.status === 412 || e.status === 409)) return true;
  }
  return false;
}
