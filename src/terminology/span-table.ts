/**
 * Compact read-only string tables for the terminology index. A `Map<string, string>` or `Set<string>` of ~100k
 * entries costs 60–90 bytes per entry in V8 (the string object, the hash table's entry, the map's chain); a
 * worker holds several such tables for the life of the process. A {@link SpanTable} stores each key (and its
 * value) as a range of one shared base string and finds it by open addressing over typed arrays: about 20 bytes
 * per entry. Pure.
 */

/** FNV-1a offset basis and prime (32 bit). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const INITIAL_CAPACITY = 1024;

/**
 * The hash of `text[start, end)`.
 * @param text - a string.
 * @param start - first character.
 * @param end - one past the last character.
 * @returns a 32-bit hash.
 */
function hashRange(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/**
 * A set of distinct keys (optionally each with a value), every key and value a range of one base string. Entries
 * are numbered from 0 in the order they were first added; adding a key already present returns its number.
 */
export class SpanTable {
  /** Entry number + 1 per slot; 0 is empty. Its length is a power of two, at least twice the entries. */
  private slots = new Int32Array(INITIAL_CAPACITY * 2);
  private hashes = new Uint32Array(INITIAL_CAPACITY);
  /** Per entry: key start, key end, value start, value end. */
  private ranges = new Uint32Array(INITIAL_CAPACITY * 4);
  private count = 0;
  private sealed = false;

  /** @param base - the string every key and value is a range of. */
  constructor(private readonly base: string) {}

  /** The number of entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds the key `base[start, end)` with the value `base[valueStart, valueEnd)` unless the key is present (its
   * value is then left as it was).
   * @param start - first character of the key.
   * @param end - one past its last character.
   * @param valueStart - first character of the value (default: no value).
   * @param valueEnd - one past its last character.
   * @returns the entry's number.
   */
  add(start: number, end: number, valueStart = 0, valueEnd = 0): number {
    const hash = hashRange(this.base, start, end);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] - 1;
      if (entry < 0) break;
      if (this.hashes[entry] === hash && this.rangeEquals(entry, this.base, start, end)) return entry;
    }
    if (this.sealed) throw new Error('SpanTable is sealed');
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const entry = this.count++;
    this.hashes[entry] = hash;
    const at = entry * 4;
    this.ranges[at] = start;
    this.ranges[at + 1] = end;
    this.ranges[at + 2] = valueStart;
    this.ranges[at + 3] = valueEnd;
    this.place(entry);
    return entry;
  }

  /**
   * The number of an entry.
   * @param key - a key.
   * @returns its entry number, or -1 when absent.
   */
  indexOf(key: string): number {
    const hash = hashRange(key, 0, key.length);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] - 1;
      if (entry < 0) return -1;
      if (this.hashes[entry] === hash && this.rangeEquals(entry, key, 0, key.length)) return entry;
    }
  }

  /**
   * Whether a key is present.
   * @param key - a key.
   * @returns true when present.
   */
  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  /**
   * The value of a key.
   * @param key - a key.
   * @returns its value, or undefined when absent.
   */
  get(key: string): string | undefined {
    const entry = this.indexOf(key);
    return entry < 0 ? undefined : this.valueAt(entry);
  }

  /**
   * The key of an entry.
   * @param entry - an entry number.
   * @returns its key.
   */
  keyAt(entry: number): string {
    return this.base.slice(this.ranges[entry * 4], this.ranges[entry * 4 + 1]);
  }

  /**
   * The value of an entry.
   * @param entry - an entry number.
   * @returns its value ('' when added without one).
   */
  valueAt(entry: number): string {
    return this.base.slice(this.ranges[entry * 4 + 2], this.ranges[entry * 4 + 3]);
  }

  /**
   * Every key, in entry order.
   * @yields each key.
   */
  *keys(): IterableIterator<string> {
    for (let entry = 0; entry < this.count; entry++) yield this.keyAt(entry);
  }

  /**
   * Every key with its value, in entry order.
   * @yields each [key, value].
   */
  *entries(): IterableIterator<[string, string]> {
    for (let entry = 0; entry < this.count; entry++) yield [this.keyAt(entry), this.valueAt(entry)];
  }

  /** Trims the per-entry arrays to the entries; the table is read-only from then on. */
  seal(): void {
    this.sealed = true;
    this.hashes = this.hashes.slice(0, this.count);
    this.ranges = this.ranges.slice(0, this.count * 4);
  }

  private rangeEquals(entry: number, text: string, start: number, end: number): boolean {
    const from = this.ranges[entry * 4];
    if (this.ranges[entry * 4 + 1] - from !== end - start) return false;
    for (let i = 0; i < end - start; i++) {
      if (this.base.charCodeAt(from + i) !== text.charCodeAt(start + i)) return false;
    }
    return true;
  }

  private place(entry: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[entry] & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry + 1;
  }

  private grow(): void {
    const capacity = this.slots.length;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.hashes.subarray(0, this.count));
    const ranges = new Uint32Array(capacity * 4);
    ranges.set(this.ranges.subarray(0, this.count * 4));
    this.hashes = hashes;
    this.ranges = ranges;
    this.slots = new Int32Array(capacity * 2);
    for (let entry = 0; entry < this.count; entry++) this.place(entry);
  }
}
