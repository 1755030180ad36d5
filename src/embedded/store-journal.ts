/**
 * The embedded store on disk (DATA_DIR): an append-only journal and a compacted snapshot, the way an embedded
 * database keeps HAPI FHIR's starter server across restarts.
 *
 * - Every commit (one request's write, or one whole transaction) is one journal record, written and `fdatasync`ed
 *   before the HTTP answer. A record is framed as `length (u32 LE) · crc32 (u32 LE) · JSON`, so a record torn by a
 *   crash (short, or with a wrong checksum) is recognised on load, cut off, and never half-applied.
 * - When the journal passes `compactAfterBytes`, the state is written to `snapshot.ndjson` (one line per version,
 *   via a temporary file, fsync and rename) and the journals it covers are removed. Journals are numbered; the
 *   snapshot's header names the first journal it does not include, so a crash at any step of a compaction loads
 *   either the old snapshot with every journal, or the new one with the newer journals.
 * - A `LOCK` file holds the owner's pid: a second live process on the same DATA_DIR is refused; a lock left by a
 *   dead process (kill -9) is taken over.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConfigError } from '../errors.js';
import type { StoreOp, StoreRecord } from './embedded-repository.js';

/** Compact once the journal holds this much (a load replays at most this much JSON beyond the snapshot). */
export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

const FRAME_HEADER_BYTES = 8;
const SNAPSHOT = 'snapshot.ndjson';
const SNAPSHOT_FORMAT = 'chartmine-embedded-store';
const JOURNAL_NAME = /^journal-(\d{8})\.log$/;

/** What a snapshot must provide: every resource's versions, oldest first. */
export type StoreState = Iterable<{ readonly versions: readonly Resource[]; readonly deleted: boolean; readonly resourceType: string; readonly id: string }>;
type Resource = { readonly resourceType: string; readonly id?: string };

/** What a load found. */
export interface JournalLoadReport {
  readonly snapshotVersions: number;
  readonly journalRecords: number;
  /** Bytes of a torn last record that were cut off (a crash during a write that was never acknowledged). */
  readonly tornBytes: number;
}

/** The journal of one DATA_DIR; one process at a time. */
export class StoreJournal {
  private handle: FileHandle | undefined;
  private seq = 1;
  private bytes = 0;
  private readonly lockPath: string;

  private constructor(
    private readonly dir: string,
    private readonly compactAfterBytes: number
  ) {
    this.lockPath = join(dir, 'LOCK');
  }

  /**
   * Opens DATA_DIR (creating it), takes its lock and replays what it holds.
   * @param dir - the data folder.
   * @param apply - called with every stored write, in order.
   * @param options - `compactAfterBytes` (tests use a small value).
   * @returns the journal, ready to append, and what was loaded.
   * @throws ConfigError when the folder cannot be used or another live process holds it.
   */
  static async open(
    dir: string,
    apply: (op: StoreOp) => void,
    options: { readonly compactAfterBytes?: number } = {}
  ): Promise<{ journal: StoreJournal; report: JournalLoadReport }> {
    const journal = new StoreJournal(dir, options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err: unknown) {
      throw new ConfigError(`DATA_DIR: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    journal.lock();
    const report = await journal.load(apply);
    journal.handle = await open(journal.journalPath(journal.seq), 'a');
    syncDir(dir);
    return { journal, report };
  }

  /**
   * Appends commits and waits until they are on disk.
   * @param records - one record per commit.
   */
  async append(records: readonly StoreRecord[]): Promise<void> {
    if (records.length === 0) return;
    const handle = this.requireHandle();
    const frames = Buffer.concat(records.map(encodeRecord));
    await handle.write(frames);
    await handle.datasync();
    this.bytes += frames.length;
  }

  /** Whether the journal is due for compaction. */
  get needsCompaction(): boolean {
    return this.bytes >= this.compactAfterBytes;
  }

  /**
   * Writes a snapshot of `state` (which must include every appended record) and drops the journals it covers.
   * @param state - the store's state.
   */
  async compact(state: StoreState): Promise<void> {
    const covered = this.seq;
    const old = this.requireHandle();
    this.seq = covered + 1;
    this.handle = await open(this.journalPath(this.seq), 'a');
    this.bytes = 0;
    await old.close();
    syncDir(this.dir);
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const out = await open(tmp, 'w');
    try {
      let chunk = `${JSON.stringify({ format: SNAPSHOT_FORMAT, version: 1, nextJournal: this.seq })}\n`;
      for (const entry of state) {
        for (const version of entry.versions) chunk += `${JSON.stringify({ put: version })}\n`;
        if (entry.deleted) chunk += `${JSON.stringify({ del: [entry.resourceType, entry.id] })}\n`;
        if (chunk.length > 1 << 20) {
          await out.write(chunk);
          chunk = '';
        }
      }
      await out.write(chunk);
      await out.sync();
    } finally {
      await out.close();
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    syncDir(this.dir);
    for (const seq of this.journalSeqs()) {
      if (seq <= covered) rmSync(this.journalPath(seq), { force: true });
    }
  }

  /** Closes the journal and releases the lock. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    rmSync(this.lockPath, { force: true });
  }

  private async load(apply: (op: StoreOp) => void): Promise<JournalLoadReport> {
    let nextJournal = 1;
    let snapshotVersions = 0;
    const snapshotPath = join(this.dir, SNAPSHOT);
    if (existsSync(snapshotPath)) {
      let first = true;
      for await (const line of readLines(snapshotPath)) {
        if (first) {
          first = false;
          const header = JSON.parse(line) as { format?: string; nextJournal?: number };
          if (header.format !== SNAPSHOT_FORMAT || !Number.isSafeInteger(header.nextJournal)) {
            throw new ConfigError(`DATA_DIR: ${SNAPSHOT} is not a Chartmine store snapshot`);
          }
          nextJournal = header.nextJournal as number;
          continue;
        }
        if (line.length === 0) continue;
        const op = JSON.parse(line) as StoreOp;
        apply(op);
        if ('put' in op) snapshotVersions++;
      }
    }
    let journalRecords = 0;
    let tornBytes = 0;
    const seqs = this.journalSeqs();
    for (const seq of seqs) {
      if (seq < nextJournal) {
        rmSync(this.journalPath(seq), { force: true }); // covered by the snapshot: a compaction was cut short
        continue;
      }
      const path = this.journalPath(seq);
      const buffer = readFileSync(path);
      const { records, validBytes } = decodeRecords(buffer);
      if (validBytes < buffer.length && seq !== seqs[seqs.length - 1]) {
        // Only the newest journal can end in a torn write; damage anywhere else would drop acknowledged writes.
        throw new ConfigError(`DATA_DIR: journal ${seq} is damaged at byte ${validBytes}; restore it or remove it knowingly`);
      }
      for (const record of records) record.forEach(apply);
      journalRecords += records.length;
      if (validBytes < buffer.length) {
        tornBytes += buffer.length - validBytes;
        truncateSync(path, validBytes);
      }
      this.seq = seq;
      this.bytes = validBytes;
    }
    if (seqs.every((s) => s < nextJournal)) {
      this.seq = nextJournal;
      this.bytes = 0;
    }
    return { snapshotVersions, journalRecords, tornBytes };
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, String(process.pid));
        fsyncSync(fd);
        closeSync(fd);
        return;
      } catch (err: unknown) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new ConfigError(`DATA_DIR: cannot write the lock file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        const owner = Number(readFileSync(this.lockPath, 'utf8'));
        if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new ConfigError(`DATA_DIR: in use by process ${owner} (one Chartmine server per data folder)`);
        }
        rmSync(this.lockPath, { force: true }); // left by a process that died
      }
    }
    throw new ConfigError('DATA_DIR: could not take the lock file');
  }

  private journalSeqs(): number[] {
    return readdirSync(this.dir)
      .map((name) => JOURNAL_NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private journalPath(seq: number): string {
    return join(this.dir, `journal-${String(seq).padStart(8, '0')}.log`);
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error('store journal is closed');
    return this.handle;
  }
}

/**
 * One framed record.
 * @param record - the writes of one commit.
 * @returns `length · crc32 · JSON`.
 */
export function encodeRecord(record: StoreRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/**
 * Reads framed records up to the first incomplete or corrupt one.
 * @param buffer - a journal file.
 * @returns the whole records and how many bytes they span.
 */
export function decodeRecords(buffer: Buffer): { records: StoreRecord[]; validBytes: number } {
  const records: StoreRecord[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > buffer.length) break;
    const payload = buffer.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== buffer.readUInt32LE(offset + 4)) break;
    let record: StoreRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as StoreRecord;
    } catch (err: unknown) {
      void err; // a checksum collision on torn bytes: treat as torn
      break;
    }
    records.push(record);
    offset = end;
  }
  return { records, validBytes: offset };
}

/** Lines of a file, read in large chunks (several times faster than `readline` for a big snapshot). */
async function* readLines(path: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 4 * 1024 * 1024 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  if (rest.length > 0) yield rest;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a small file atomically (temporary file, fsync, rename, fsync of the folder). */
export function writeFileAtomic(path: string, dir: string, content: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dir);
}

/** The catch-up watermark in DATA_DIR (see `ingest/redis-recovery.ts`): one small file, replaced atomically. */
export class FileWatermark {
  private readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'catch-up-watermark.json');
  }

  read(): string | undefined {
    if (!existsSync(this.path)) return undefined;
    const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { watermark?: unknown };
    return typeof parsed.watermark === 'string' ? parsed.watermark : undefined;
  }

  write(instant: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.path, this.dir, `${JSON.stringify({ watermark: instant })}\n`);
  }
}
