/**
 * What `chartmine extract` accepts as a note, checked as the worker checks a note it reads: a DocumentReference
 * JSON (its attachment then goes through the worker's own content-type, charset, base64 and size checks), or the
 * bytes of a text file, which must be UTF-8 text within MAX_DOCUMENT_BYTES. Messages name the rule broken, never
 * the input's content.
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { DocumentTooLargeError } from '../errors.js';
import { toTextNote } from '../jobs/extract-note.js';
import { InputError } from './command.js';

/** JSON that declares a `resourceType` is FHIR: if it does not parse, it is an error, not plain text. */
export const LOOKS_LIKE_FHIR = /^\s*[{[][\s\S]*"resourceType"\s*:/;

/** Media types chosen by file extension for plain files; anything else is read as text/plain. */
const TYPES_BY_EXTENSION: Record<string, string> = { '.html': 'text/html', '.htm': 'text/html', '.md': 'text/markdown' };

/**
 * The largest input file worth reading: a DocumentReference with MAX_DOCUMENT_BYTES of base64 plus the same JSON
 * overhead the HTTP API allows (256 KiB). Bigger files are refused before they are read.
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the limit in bytes.
 */
export function maxInputBytes(maxDocumentBytes: number): number {
  return Math.ceil((maxDocumentBytes * 4) / 3) + 256 * 1024;
}

/**
 * Turns one input's bytes into the DocumentReference the pipeline reads.
 * @param bytes - the file or stdin content.
 * @param fileName - the file name (its extension picks text/html or text/markdown), or `-` for stdin.
 * @param subject - `--subject`, when given.
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the note.
 * @throws InputError for JSON that does not parse or is not a DocumentReference; DocumentTooLargeError.
 */
export function toExtractNote(bytes: Buffer, fileName: string, subject: string | undefined, maxDocumentBytes: number): DocumentReference {
  if (bytes.length > maxInputBytes(maxDocumentBytes)) throw new DocumentTooLargeError(bytes.length, maxDocumentBytes);
  // Only an ASCII prefix decides whether this is JSON; the text itself is decoded strictly by the worker's code.
  const head = bytes.subarray(0, 4096).toString('latin1');
  if (LOOKS_LIKE_FHIR.test(head)) return parseDocumentReference(bytes, subject);
  const extension = /\.[A-Za-z]+$/.exec(fileName)?.[0]?.toLowerCase() ?? '';
  const contentType = `${TYPES_BY_EXTENSION[extension] ?? 'text/plain'}; charset=utf-8`;
  if (bytes.length > maxDocumentBytes) throw new DocumentTooLargeError(bytes.length, maxDocumentBytes);
  return toTextNote(bytes, subject, contentType);
}

function parseDocumentReference(bytes: Buffer, subject: string | undefined): DocumentReference {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err: unknown) {
    void err; // the parser's message quotes the input
    throw new InputError('looks like FHIR JSON (it has a resourceType) but is not valid UTF-8 JSON');
  }
  const resource = parsed as { resourceType?: unknown } | null;
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource) || resource.resourceType !== 'DocumentReference') {
    throw new InputError('resourceType must be DocumentReference (JSON input is a DocumentReference; other text is a plain note)');
  }
  const note = parsed as DocumentReference;
  return subject ? { ...note, subject: { reference: subject } } : note;
}
