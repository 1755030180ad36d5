/**
 * Loads a terminology index from a directory (the shipped `models/terminology/` or an imported one). This is the
 * one file of `terminology/` that reads the file system; it is called once per process at start-up.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DictionaryIndex } from './dictionary-index.js';
import { INDEX_FILE } from './index-format.js';
import { parseIndexText } from './index-data.js';

/** The shipped content: `models/terminology/` at the package root (works from `src/` and `dist/src/`). */
export const DEFAULT_TERMINOLOGY_DIR = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../models/terminology/' : '../../models/terminology/', import.meta.url)
);

/** Thrown when the index file is missing or unreadable; the message names the path only. */
export class TerminologyLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminologyLoadError';
  }
}

/** The most a single output chunk may reserve (a damaged trailer must not ask for gigabytes). */
const MAX_GUNZIP_CHUNK_BYTES = 256 * 1024 * 1024;
/** zlib's own default output chunk. */
const DEFAULT_GUNZIP_CHUNK_BYTES = 64 * 1024;

/**
 * Decompresses a gzip file into one output buffer sized from its trailer (ISIZE: the uncompressed length mod 2^32).
 * With zlib's default 64 KiB chunks, the ~400 chunks of a 26 MB index are malloc'd, concatenated and freed, and
 * the C heap keeps the freed chunks: about 55 MB of RSS for the life of the process. One chunk is one mmap that is
 * returned to the system when freed. The size is only a hint: the output is zlib's either way (a file of several
 * gzip members just takes more chunks).
 * @param bytes - the gzip file.
 * @returns the decompressed bytes.
 */
export function gunzipInOneChunk(bytes: Buffer): Buffer {
  const isize = bytes.length >= 4 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  const chunkSize = Math.min(Math.max(isize + 1, DEFAULT_GUNZIP_CHUNK_BYTES), MAX_GUNZIP_CHUNK_BYTES);
  return gunzipSync(bytes, { chunkSize });
}

/**
 * Loads the index in `dir` (the file `index.tsv.gz`).
 * @param dir - a terminology directory; defaults to the shipped content.
 * @returns the read-only index; its `sha256` is the hash of the index file.
 * @throws TerminologyLoadError when the file is missing or not an index.
 */
export async function loadTerminologyIndex(dir: string = DEFAULT_TERMINOLOGY_DIR): Promise<DictionaryIndex> {
  const path = join(dir, INDEX_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err: unknown) {
    throw new TerminologyLoadError(`cannot read terminology index ${path}`, { cause: err });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    return new DictionaryIndex(parseIndexText(gunzipInOneChunk(bytes).toString('utf8')), sha256);
  } catch (err: unknown) {
    throw new TerminologyLoadError(`${path} is not a chartmine terminology index`, { cause: err });
  }
}
