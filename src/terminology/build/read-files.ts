/** File readers for the build and the importers: whole small files, and line streams for release-sized files. */
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';

import { MissingInputError } from '../../errors.js';

export { MissingInputError };

/**
 * Checks that a file exists.
 * @param path - the file.
 * @param what - what it is, for the error message.
 * @throws MissingInputError when it does not exist.
 */
export function assertFile(path: string, what: string): void {
  if (!existsSync(path)) throw new MissingInputError(path, what);
}

/**
 * Reads a whole text file (gunzipped when the name ends in `.gz`).
 * @param path - the file.
 * @returns its text.
 */
export async function readText(path: string): Promise<string> {
  const bytes = await readFile(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * Reads a TSV file, skipping `#` comment lines and empty lines.
 * @param path - the file.
 * @param options - `header: true` drops the first non-comment line.
 * @returns the rows.
 */
export async function readTsv(path: string, options: { header?: boolean } = {}): Promise<string[][]> {
  const rows = (await readText(path))
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  return options.header ? rows.slice(1) : rows;
}

/**
 * Streams the lines of a (possibly gzipped) file without holding it in memory.
 * @param path - the file.
 * @returns an async iterator of lines.
 */
export function readLines(path: string): AsyncIterable<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  return createInterface({ input, crlfDelay: Infinity });
}
