/**
 * The catch-up search over the FHIR gateway: `DocumentReference?_lastUpdated=gt<since>&_sort=_lastUpdated`, plus the
 * configured filter (POLL_QUERY), following the server's `next` links (only on the server's own origin).
 */
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { ChangedNotesPage, ChangedNotesSource } from '../ingest/catch-up.js';
import type { MedplumFhirGateway } from './gateway.js';

/** Page size asked for; servers may answer with less. */
export const CATCH_UP_PAGE_SIZE = 100;

/** Options of the search. */
export interface ChangedNotesOptions {
  /** Extra search parameters (POLL_QUERY), e.g. `type=http://loinc.org|11506-3&status=current`. */
  readonly filter?: string | undefined;
  readonly pageSize?: number;
}

/** ChangedNotesSource over the gateway. */
export class FhirChangedNotes implements ChangedNotesSource {
  constructor(
    private readonly gateway: Pick<MedplumFhirGateway, 'baseUrl' | 'readSearchPage'>,
    private readonly options: ChangedNotesOptions = {}
  ) {}

  /**
   * The search URL of the first page.
   * @param since - instant after which notes changed, or `undefined` for all.
   * @returns the URL.
   */
  firstPageUrl(since: string | undefined): string {
    const query = new URLSearchParams(this.options.filter ?? '');
    if (since) query.set('_lastUpdated', `gt${since}`);
    query.set('_sort', '_lastUpdated');
    query.set('_count', String(this.options.pageSize ?? CATCH_UP_PAGE_SIZE));
    return `${this.gateway.baseUrl}DocumentReference?${query.toString()}`;
  }

  async readFirstPage(since: string | undefined): Promise<ChangedNotesPage> {
    return this.readPage(this.firstPageUrl(since));
  }

  async readPage(url: string): Promise<ChangedNotesPage> {
    const bundle: Bundle = await this.gateway.readSearchPage(url);
    const notes = (bundle.entry ?? [])
      .filter((e) => e.resource?.resourceType === 'DocumentReference' && e.search?.mode !== 'include' && e.resource.id)
      .map((e) => {
        const note = e.resource as DocumentReference;
        return { id: note.id as string, versionId: note.meta?.versionId, lastUpdated: note.meta?.lastUpdated };
      });
    return { notes, next: bundle.link?.find((l) => l.relation === 'next')?.url };
  }
}
