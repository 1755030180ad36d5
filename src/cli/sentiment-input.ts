/**
 * What `chartmine sentiment` accepts: a QuestionnaireResponse, Communication or DocumentReference JSON, or plain
 * text (read as a patient-feedback document, with `extract`'s checks: UTF-8, MAX_DOCUMENT_BYTES). Messages name the
 * rule broken, never the input's content.
 */
import type { Resource } from '@medplum/fhirtypes';
import { CHARTMINE_CODES } from '../fhir/naming.js';
import { isFeedbackSourceType, PATIENT_FEEDBACK_CODE } from '../feedback/feedback-source.js';
import { InputError } from './command.js';
import { LOOKS_LIKE_FHIR, toExtractNote } from './extract-input.js';

/**
 * Turns one input into the feedback resource to analyse.
 * @param bytes - the file or stdin content.
 * @param fileName - the file name, or `-`.
 * @param subject - `--subject`, when given (replaces the resource's subject).
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the resource.
 * @throws InputError for JSON that does not parse or is another resource type; DocumentTooLargeError.
 */
export function toFeedbackInput(bytes: Buffer, fileName: string, subject: string | undefined, maxDocumentBytes: number): Resource {
  const head = bytes.subarray(0, 4096).toString('latin1');
  if (!LOOKS_LIKE_FHIR.test(head)) {
    // Plain text: a patient-feedback document (the note reader decodes and checks it).
    const doc = toExtractNote(bytes, fileName, subject, maxDocumentBytes);
    return { ...doc, type: { coding: [{ system: CHARTMINE_CODES, code: PATIENT_FEEDBACK_CODE, display: 'Patient feedback' }] } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err: unknown) {
    void err; // the parser's message quotes the input
    throw new InputError('looks like FHIR JSON (it has a resourceType) but is not valid UTF-8 JSON');
  }
  const type = (parsed as { resourceType?: unknown } | null)?.resourceType;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !isFeedbackSourceType(type)) {
    throw new InputError('resourceType must be QuestionnaireResponse, Communication or DocumentReference (other text is read as plain feedback)');
  }
  if (type === 'DocumentReference') return toExtractNote(bytes, fileName, subject, maxDocumentBytes);
  const resource = parsed as Resource;
  return subject ? ({ ...resource, subject: { reference: subject } } as Resource) : resource;
}
