/** Chartmine's version, read once from package.json (works from `src/` under vitest and from `dist/src/`). */
import { readFileSync } from 'node:fs';

const PACKAGE_JSON = new URL(import.meta.url.includes('/dist/') ? '../../package.json' : '../package.json', import.meta.url);

/** The package version, e.g. `0.1.0`. */
export const CHARTMINE_VERSION: string = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
