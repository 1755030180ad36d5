/**
 * Lines kept compressed in blocks, each inflated on demand. The index's concept lines are ~70 % of its text
 * (18 MB) and a worker reads only the few thousand concepts its notes name; as raw-deflated blocks of
 * {@link LINES_PER_BLOCK} lines they take ~2 MB. A line is read once per concept and process (the index caches the
 * parsed concept), so inflating a block (~0.1 ms) on first use costs little.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Lines per compressed block: larger blocks compress better and cost more to read one line from. */
export const LINES_PER_BLOCK = 128;
/** zlib level of the blocks: level 1 packs 18 MB in ~0.1 s at load, within 15 % of level 6's size. */
const BLOCK_LEVEL = 1;

/** Appends lines (`add`), then `seal`; read-only after. */
export class PackedLines {
  private readonly blocks: Buffer[] = [];
  private pending: string[] = [];
  private count = 0;
  /** The last block read, so that neighbouring lines cost one inflate. */
  private recent: { block: number; lines: string[] } | undefined;

  /** The number of lines. */
  get length(): number {
    return this.count;
  }

  /**
   * Appends a line (it must not contain a newline).
   * @param line - the line.
   */
  add(line: string): void {
    this.pending.push(line);
    this.count++;
    if (this.pending.length === LINES_PER_BLOCK) this.flush();
  }

  /** Compresses the last, partial block; call once every line is added. */
  seal(): void {
    if (this.pending.length > 0) this.flush();
  }

  /**
   * A line.
   * @param i - its number, from 0.
   * @returns the line.
   * @throws RangeError when there is no such line.
   */
  line(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`no line ${i}`);
    const block = Math.floor(i / LINES_PER_BLOCK);
    if (block === this.blocks.length) return this.pending[i % LINES_PER_BLOCK];
    if (this.recent?.block !== block) {
      this.recent = { block, lines: inflateRawSync(this.blocks[block]).toString('utf8').split('\n') };
    }
    return this.recent.lines[i % LINES_PER_BLOCK];
  }

  /**
   * Every line, in order.
   * @yields each line.
   */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.line(i);
  }

  private flush(): void {
    // Copied: zlib's output is a view of its 16 KiB output chunk, which would stay allocated with it.
    this.blocks.push(Buffer.from(deflateRawSync(Buffer.from(this.pending.join('\n'), 'utf8'), { level: BLOCK_LEVEL })));
    this.pending = [];
  }
}
