/** Locates release files inside a user's release folder (RF2 and RRF layouts nest them differently). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Finds files under `dir` (recursively, at most 6 levels) whose name matches `pattern`.
 * @param dir - the release folder.
 * @param pattern - a file-name pattern.
 * @returns the matching paths, sorted.
 */
export async function findFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 6) return;
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path, depth + 1);
      else if (pattern.test(entry.name)) out.push(path);
    }
  };
  await walk(dir, 0);
  return out.sort();
}

/** Reports progress every `every` lines. */
export function progressEvery(label: string, every: number, onProgress?: (m: string) => void): (n: number) => void {
  return (n) => {
    if (onProgress && n > 0 && n % every === 0) onProgress(`${label}: ${n.toLocaleString('en-US')} lines`);
  };
}
