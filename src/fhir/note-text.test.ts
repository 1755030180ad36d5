import { describe, expect, test } from 'vitest';
import type { DocumentReference } from '@medplum/fhirtypes';
import { DocumentTooLargeError, UnsupportedContentError } from '../errors.js';
import { blankHtml, decodeText, readNoteText } from './note-text.js';

const noFetch = async (): Promise<never> => {
  throw new Error('no fetch expected');
};

function noteWith(...attachments: DocumentReference['content'][number]['attachment'][]): DocumentReference {
  return { resourceType: 'DocumentReference', status: 'current', content: attachments.map((attachment) => ({ attachment })) };
}

describe('readNoteText', () => {
  test('decodes inline base64 UTF-8 text and names the attachment path', async () => {
    const text = 'Résumé: BP 120/80 — ok';
    const note = noteWith({ contentType: 'text/plain; charset=utf-8', data: Buffer.from(text).toString('base64') });
    await expect(readNoteText(note, noFetch, 1024)).resolves.toMatchObject({
      text,
      path: 'DocumentReference.content[0].attachment',
      contentType: 'text/plain',
    });
  });

  test('skips unsupported attachments and reads the first supported one', async () => {
    const note = noteWith(
      { contentType: 'application/pdf', data: 'JVBERi0=' },
      { contentType: 'text/plain', data: Buffer.from('asthma').toString('base64') }
    );
    const result = await readNoteText(note, noFetch, 1024);
    expect(result.path).toBe('DocumentReference.content[1].attachment');
    expect(result.text).toBe('asthma');
  });

  test('refuses a note with no readable attachment, naming the content types', async () => {
    const note = noteWith({ contentType: 'application/pdf', data: 'JVBERi0=' });
    await expect(readNoteText(note, noFetch, 1024)).rejects.toThrow(UnsupportedContentError);
    await expect(readNoteText(note, noFetch, 1024)).rejects.toThrow(/application\/pdf/);
  });

  test('enforces the size limit before decoding', async () => {
    const note = noteWith({ contentType: 'text/plain', data: Buffer.alloc(5000, 'a').toString('base64') });
    await expect(readNoteText(note, noFetch, 4096)).rejects.toThrow(DocumentTooLargeError);
  });

  test('reads attachment.url through the reader, bounded by the limit', async () => {
    const seen: string[] = [];
    const note = noteWith({ contentType: 'text/plain', url: 'Binary/123' });
    const result = await readNoteText(
      note,
      async (url, max) => {
        seen.push(`${url}:${max}`);
        return { contentType: 'text/plain', data: Buffer.from('copd') };
      },
      2048
    );
    expect(seen).toEqual(['Binary/123:2048']);
    expect(result.text).toBe('copd');
  });

  test('an attachment with neither data nor url is unsupported', async () => {
    await expect(readNoteText(noteWith({ contentType: 'text/plain' }), noFetch, 1024)).rejects.toThrow(/neither data nor url/);
  });
});

describe('decodeText', () => {
  test('latin-1 and a missing content type (UTF-8 plain text)', () => {
    expect(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=ISO-8859-1')).toBe('café');
    expect(decodeText(Buffer.from('plain'), undefined)).toBe('plain');
  });

  test('invalid UTF-8 is refused rather than silently mangled', () => {
    expect(() => decodeText(Buffer.from([0xff, 0xfe, 0x41]), 'text/plain; charset=utf-8')).toThrow(/not valid utf-8/);
  });

  test('unknown charsets and media types are refused', () => {
    expect(() => decodeText(Buffer.from('x'), 'text/plain; charset=ebcdic')).toThrow(UnsupportedContentError);
    expect(() => decodeText(Buffer.from('x'), 'image/png')).toThrow(UnsupportedContentError);
  });

  test('a byte-order mark is not part of the text', () => {
    expect(decodeText(Buffer.from('\ufeffasthma'), 'text/plain')).toBe('asthma');
  });
});

describe('blankHtml', () => {
  test('keeps every character at its offset', () => {
    const html = '<p>Hx of <b>asthma</b> &amp; COPD</p><script>var x = "no";</script><br>Done';
    const text = blankHtml(html);
    expect(text).toHaveLength(html.length);
    expect(text.slice(html.indexOf('asthma'), html.indexOf('asthma') + 6)).toBe('asthma');
    expect(text.slice(html.indexOf('COPD'), html.indexOf('COPD') + 4)).toBe('COPD');
    expect(text).not.toMatch(/[<>]|var x/);
    expect(text).toContain('&    ');
  });

  test('block tags become line breaks so sentences do not run together', () => {
    expect(blankHtml('<li>asthma</li><li>copd</li>')).toMatch(/asthma\s*\n\s*copd/);
  });
});
