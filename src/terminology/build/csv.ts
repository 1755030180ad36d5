/** A small RFC 4180 CSV line parser (quoted fields, doubled quotes), enough for LOINC tables. Pure. */

/**
 * Splits one CSV record. Records with newlines inside quotes must be joined by the caller (see {@link isComplete}).
 * @param line - one record.
 * @param separator - the field separator.
 * @returns the fields, unquoted.
 */
export function parseCsvLine(line: string, separator = ','): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === separator) {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
  return fields;
}

/**
 * Whether a (possibly partial) record has balanced quotes, i.e. does not continue on the next line.
 * @param text - the record text so far.
 * @returns true when the record is complete.
 */
export function isComplete(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 0;
}
