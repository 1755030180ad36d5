/** Builders for synthetic test notes (never real notes, not even de-identified). */
import type { DocumentReference } from '@medplum/fhirtypes';

/** Options for `aNote`. */
export interface NoteOptions {
  readonly text?: string;
  readonly id?: string;
  readonly subject?: string;
  readonly encounter?: string;
  readonly date?: string;
  readonly contentType?: string;
  readonly status?: DocumentReference['status'];
  readonly versionId?: string;
}

/**
 * A DocumentReference with the text inline as base64.
 * @param options - text and overrides.
 * @returns the resource.
 */
export function aNote(options: NoteOptions = {}): DocumentReference {
  const text = options.text ?? 'Hypertension. Denies chest pain.';
  return {
    resourceType: 'DocumentReference',
    ...(options.id ? { id: options.id } : {}),
    ...(options.versionId ? { meta: { versionId: options.versionId } } : {}),
    status: options.status ?? 'current',
    docStatus: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
    subject: { reference: options.subject ?? 'Patient/example' },
    date: options.date ?? '2026-11-01T10:00:00Z',
    ...(options.encounter ? { context: { encounter: [{ reference: options.encounter }] } } : {}),
    content: [
      {
        attachment: {
          contentType: options.contentType ?? 'text/plain; charset=utf-8',
          data: Buffer.from(text, 'utf8').toString('base64'),
        },
      },
    ],
  };
}
