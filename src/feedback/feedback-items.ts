/**
 * The feedback items of a source resource: each free-text answer of a QuestionnaireResponse (nested items
 * included, `linkId` kept), each text payload of a Communication, the text of a feedback DocumentReference. Empty
 * and non-text answers are skipped with a reason (counted and logged without text): `empty-text` for an answer
 * without a value or a text without a letter or digit ("-", "..."), `not-text` for a coded, numeric or date answer.
 * Pure.
 */
import type { Communication, QuestionnaireResponse, QuestionnaireResponseItem } from '@medplum/fhirtypes';

/** One text to classify, with where it is in its source. */
export interface FeedbackItem {
  /** Stable within the source: the linkId path and answer index, or the payload index. Never text. */
  readonly key: string;
  /** The question's linkId, for QuestionnaireResponse answers. */
  readonly linkId?: string;
  /** FHIRPath of the element holding the text (derivation-reference `path`). */
  readonly path: string;
  readonly text: string;
}

/** Why an answer or payload was not classified. */
export type SkipItemReason = 'empty-text' | 'not-text';

/** An answer or payload left out, and why (no text). */
export interface SkippedItem {
  readonly path: string;
  readonly reason: SkipItemReason;
}

/** The items of a source and what was skipped. */
export interface FeedbackItems {
  readonly items: readonly FeedbackItem[];
  readonly skipped: readonly SkippedItem[];
}

/** Answers past this many characters are cut for classification (the span still names what was read). */
export const MAX_ITEM_CHARS = 20_000;

/**
 * Reads the free-text answers of a QuestionnaireResponse, depth first.
 * @param qr - the response.
 * @returns items and skipped answers.
 */
export function readQuestionnaireItems(qr: QuestionnaireResponse): FeedbackItems {
  const items: FeedbackItem[] = [];
  const skipped: SkippedItem[] = [];
  const walk = (list: readonly QuestionnaireResponseItem[] | undefined, path: string, linkPath: string): void => {
    (list ?? []).forEach((item, i) => {
      const itemPath = `${path}.item[${i}]`;
      const linkId = typeof item.linkId === 'string' ? item.linkId : String(i);
      const keyPath = linkPath ? `${linkPath}/${linkId}` : linkId;
      (item.answer ?? []).forEach((answer, a) => {
        const answerPath = `${itemPath}.answer[${a}]`;
        if (typeof answer.valueString === 'string') {
          pushText(answer.valueString, `${answerPath}.valueString`, `${keyPath}#${a}`, items, skipped, linkId);
        } else if (!hasNonTextValue(answer)) {
          skipped.push({ path: answerPath, reason: 'empty-text' });
        } else {
          skipped.push({ path: answerPath, reason: 'not-text' });
        }
        walk(answer.item, answerPath, `${keyPath}#${a}`);
      });
      walk(item.item, itemPath, keyPath);
    });
  };
  walk(qr.item, 'QuestionnaireResponse', '');
  return { items, skipped };
}

/**
 * Reads the text payloads of a Communication (`contentString`, and `text/plain` attachments with inline data).
 * @param comm - the Communication.
 * @returns items and skipped payloads.
 */
export function readCommunicationItems(comm: Communication): FeedbackItems {
  const items: FeedbackItem[] = [];
  const skipped: SkippedItem[] = [];
  (comm.payload ?? []).forEach((payload, i) => {
    const path = `Communication.payload[${i}]`;
    if (typeof payload.contentString === 'string') {
      pushText(payload.contentString, `${path}.contentString`, `payload-${i}`, items, skipped);
      return;
    }
    const attachment = payload.contentAttachment;
    const type = (attachment?.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (attachment?.data !== undefined && type === 'text/plain') {
      pushText(Buffer.from(attachment.data, 'base64').toString('utf8'), `${path}.contentAttachment`, `payload-${i}`, items, skipped);
      return;
    }
    skipped.push({ path, reason: payload.contentReference || attachment ? 'not-text' : 'empty-text' });
  });
  return { items, skipped };
}

/**
 * The single item of a feedback document's text.
 * @param text - the decoded attachment text.
 * @param path - the attachment's FHIRPath.
 * @returns one item, or a skip when the text is blank.
 */
export function readDocumentItems(text: string, path: string): FeedbackItems {
  const items: FeedbackItem[] = [];
  const skipped: SkippedItem[] = [];
  pushText(text, path, 'document', items, skipped);
  return { items, skipped };
}

function pushText(text: string, path: string, key: string, items: FeedbackItem[], skipped: SkippedItem[], linkId?: string): void {
  if (!/[\p{L}\p{N}]/u.test(text)) {
    skipped.push({ path, reason: 'empty-text' });
    return;
  }
  items.push({ key, path, text: text.length > MAX_ITEM_CHARS ? text.slice(0, MAX_ITEM_CHARS) : text, ...(linkId !== undefined ? { linkId } : {}) });
}

function hasNonTextValue(answer: object): boolean {
  return Object.keys(answer).some((k) => k.startsWith('value'));
}

/**
 * Counts skipped items by reason (for logs and the job result: counts only).
 * @param skipped - the skipped items.
 * @returns counts per reason.
 */
export function countSkipped(skipped: readonly SkippedItem[]): Partial<Record<SkipItemReason, number>> {
  const out: Partial<Record<SkipItemReason, number>> = {};
  for (const s of skipped) out[s.reason] = (out[s.reason] ?? 0) + 1;
  return out;
}
