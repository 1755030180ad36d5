/**
 * Turns a DocumentReference's attachment into the text the pipeline reads. Offsets Chartmine writes are UTF-16
 * code units into exactly this text. For `text/html` the markup is blanked out rather than removed, so offsets
 * into the analysed text are also offsets into the decoded HTML source.
 */
import type { Attachment, DocumentReference } from '@medplum/fhirtypes';
import { DocumentTooLargeError, UnsupportedContentError } from '../errors.js';

/** The text of a note and where it came from. */
export interface NoteText {
  readonly text: string;
  /** FHIRPath of the attachment read, for the derivation-reference `path`. */
  readonly path: string;
  readonly contentType: string;
  readonly sizeBytes: number;
}

/** Reads the bytes behind an attachment URL (the FHIR gateway, bounded by `maxBytes`). */
export type AttachmentReader = (url: string, maxBytes: number) => Promise<{ contentType: string | undefined; data: Buffer }>;

/** Media types Chartmine reads. */
export const SUPPORTED_CONTENT_TYPES = ['text/plain', 'text/html', 'text/markdown'] as const;

const CHARSETS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'utf-8', // ASCII is a subset of UTF-8: decoding strictly as UTF-8 is exact
  ascii: 'utf-8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'windows-1252': 'windows-1252',
  'utf-16': 'utf-16le',
  'utf-16le': 'utf-16le',
};

/** The charsets named in the refusal of any other. */
const SUPPORTED_CHARSET_NAMES = 'utf-8, us-ascii, iso-8859-1, windows-1252, utf-16';

/**
 * Reads the text of the first attachment whose media type Chartmine supports.
 * @param note - the DocumentReference.
 * @param readAttachment - fetches `attachment.url` content (only used when there is no inline `data`).
 * @param maxBytes - the MAX_DOCUMENT_BYTES limit.
 * @returns the decoded text.
 * @throws UnsupportedContentError when no attachment can be read; DocumentTooLargeError over the limit.
 */
export async function readNoteText(
  note: DocumentReference,
  readAttachment: AttachmentReader,
  maxBytes: number
): Promise<NoteText> {
  const contents = note.content ?? [];
  const index = contents.findIndex((c) => isSupported(c.attachment?.contentType));
  if (index < 0) {
    const types = contents.map((c) => safeMediaType(c.attachment?.contentType)).join(', ');
    throw new UnsupportedContentError(`no readable attachment (content types: ${types || 'no content'})`);
  }
  const attachment = contents[index].attachment as Attachment;
  const path = `DocumentReference.content[${index}].attachment`;
  let bytes: Buffer;
  let contentType = attachment.contentType;
  if (attachment.data !== undefined) {
    const estimated = Math.floor((attachment.data.length * 3) / 4);
    if (estimated > maxBytes + 2) throw new DocumentTooLargeError(estimated, maxBytes);
    // Buffer.from skips characters that are not base64: a corrupt payload would become a different note.
    if (!isBase64(attachment.data)) throw new UnsupportedContentError(`${path}.data is not valid base64`);
    bytes = Buffer.from(attachment.data, 'base64');
  } else if (attachment.url) {
    const fetched = await readAttachment(attachment.url, maxBytes);
    bytes = fetched.data;
    contentType = contentType ?? fetched.contentType;
  } else {
    throw new UnsupportedContentError(`${path} has neither data nor url`);
  }
  if (bytes.length > maxBytes) throw new DocumentTooLargeError(bytes.length, maxBytes);
  const text = decodeText(bytes, contentType);
  return { text, path, contentType: mediaType(contentType), sizeBytes: bytes.length };
}

/** Base64 as FHIR's base64Binary allows it: the standard alphabet, whitespace between groups, padding optional. */
function isBase64(data: string): boolean {
  const compact = data.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(compact) && compact.replace(/=+$/, '').length % 4 !== 1;
}

/**
 * Decodes bytes of a supported media type into the analysed text.
 * @param bytes - the attachment bytes.
 * @param contentType - e.g. `text/plain; charset=utf-8` (missing means UTF-8 plain text).
 * @returns the text (HTML with markup blanked out, offsets preserved).
 */
export function decodeText(bytes: Buffer, contentType: string | undefined): string {
  const type = mediaType(contentType);
  if (!isSupported(type)) {
    throw new UnsupportedContentError(`unsupported content type ${safeMediaType(type)}`);
  }
  const charsetName = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase() ?? 'utf-8';
  const charset = CHARSETS[charsetName];
  if (!charset) {
    // Name the rule, never the sender's value: a charset parameter can carry anything.
    throw new UnsupportedContentError(`attachment.contentType charset is not one of ${SUPPORTED_CHARSET_NAMES}`);
  }
  let text: string;
  try {
    // A byte-order mark is not part of the text: TextDecoder drops it, and offsets count from the first character.
    text = new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch (err: unknown) {
    void err;
    throw new UnsupportedContentError(`attachment is not valid ${charsetName}`);
  }
  return type === 'text/html' ? blankHtml(text) : text;
}

/**
 * Replaces HTML markup by spaces (newlines for block-level tags) and decodes entities in place, padding so that
 * every character keeps its offset.
 * @param html - the HTML source.
 * @returns text of the same length.
 */
export function blankHtml(html: string): string {
  const withoutScripts = html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, (m) => blank(m, false));
  const withoutTags = withoutScripts.replace(/<!--[\s\S]*?-->|<\/?([a-zA-Z][\w:-]*)\b[^>]*>/g, (m, tag?: string) =>
    blank(m, tag !== undefined && BLOCK_TAGS.has(tag.toLowerCase()))
  );
  return withoutTags.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, name: string) => {
    const decoded = decodeEntity(name);
    return decoded !== undefined && decoded.length <= m.length ? decoded.padEnd(m.length, ' ') : m;
  });
}

const BLOCK_TAGS = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'tr', 'td', 'th', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'section', 'article', 'header', 'footer', 'pre', 'blockquote', 'dd', 'dt', 'dl', 'hr',
]);

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntity(name: string): string | undefined {
  if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
  if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
  return NAMED_ENTITIES[name.toLowerCase()];
}

function blank(markup: string, block: boolean): string {
  const spaces = markup.replace(/[^\n]/g, ' ');
  return block && !spaces.includes('\n') ? `\n${spaces.slice(1)}` : spaces;
}

/** Media types named as such in error messages; anything else is reported as `other` (input is never echoed). */
const NAMEABLE_TYPES = new Set([
  'text/plain', 'text/html', 'text/markdown', 'text/rtf', 'text/xml', 'text/csv', 'application/rtf', 'application/pdf',
  'application/xml', 'application/json', 'application/fhir+json', 'application/fhir+xml', 'application/hl7-v2',
  'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/dicom', 'application/octet-stream',
]);

function safeMediaType(contentType: string | undefined): string {
  if (contentType === undefined) return 'none';
  const type = mediaType(contentType);
  if (NAMEABLE_TYPES.has(type)) return type;
  return /^(image|audio|video)\//.test(type) ? `${type.split('/')[0]}/*` : 'other';
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'text/plain').split(';')[0].trim().toLowerCase();
}

function isSupported(contentType: string | undefined): boolean {
  return (SUPPORTED_CONTENT_TYPES as readonly string[]).includes(mediaType(contentType));
}
