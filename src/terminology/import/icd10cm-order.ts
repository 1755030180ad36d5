/**
 * Reads an ICD-10-CM release: the CDC/NCHS order file (`icd10cm-order-YYYY.txt`, fixed width: order number, code,
 * header/billable flag, short and long description) or the TSV form staged in `shared/data/icd10cm` (gzipped or not).
 */
import { existsSync } from 'node:fs';
import { MissingInputError, readLines } from '../build/read-files.js';

/** One row of an ICD-10-CM order file. */
export interface IcdOrderRow {
  /** Code without dot, as in the file. */
  readonly code: string;
  readonly billable: boolean;
  readonly description: string;
}

/**
 * Parses one line of the fixed-width CDC order file.
 * @param line - the line.
 * @returns the row, or undefined for a blank or malformed line.
 */
export function parseOrderLine(line: string): IcdOrderRow | undefined {
  // cols 1-5 order number, 7-13 code, 15 flag (1 = valid for HIPAA-covered transactions), 17-76 short, 78- long.
  if (line.length < 17) return undefined;
  const code = line.slice(6, 13).trim();
  const flag = line.slice(14, 15);
  const long = line.slice(77).trim() || line.slice(16, 76).trim();
  if (!/^[A-Z][0-9A-Z]{2,6}$/.test(code) || (flag !== '0' && flag !== '1')) return undefined;
  return { code, billable: flag === '1', description: long };
}

/**
 * Reads an ICD-10-CM order file in either format.
 * @param path - the file.
 * @param onProgress - progress callback.
 * @returns the rows.
 * @throws MissingInputError when the file is missing.
 */
export async function readIcd10cmOrder(path: string, onProgress?: (m: string) => void): Promise<IcdOrderRow[]> {
  if (!existsSync(path)) throw new MissingInputError(path, 'ICD-10-CM order file');
  const rows: IcdOrderRow[] = [];
  for await (const line of readLines(path)) {
    if (line.includes('\t')) {
      const f = line.split('\t');
      if (f[1] === 'icd10cm_code' || !f[1]) continue;
      rows.push({ code: f[1], billable: f[2] === '1', description: f[4] || f[3] });
    } else {
      const row = parseOrderLine(line);
      if (row) rows.push(row);
    }
  }
  onProgress?.(`ICD-10-CM: ${rows.length} codes`);
  return rows;
}
