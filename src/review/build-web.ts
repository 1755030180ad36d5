/**
 * Bundles the reviewer page (src/review/web: plain TypeScript and CSS) into dist/review with esbuild, at build time:
 * `npm run build` (and so `npm ci`, through `prepare`) runs it after tsc. Nothing is fetched at run time.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { REVIEW_ASSETS_DIR } from './review.routes.js';

/** The page's sources (the same folder from src/review and dist/src/review). */
const WEB_SOURCE_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../src/review/web/' : './web/', import.meta.url));

/**
 * Builds the page.
 * @param outDir - where to (default dist/review).
 */
export async function buildReviewWeb(outDir = REVIEW_ASSETS_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${WEB_SOURCE_DIR}main.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outfile: `${outDir}review.js`,
    logLevel: 'warning',
  });
  copyFileSync(`${WEB_SOURCE_DIR}review.css`, `${outDir}review.css`);
  copyFileSync(`${WEB_SOURCE_DIR}index.html`, `${outDir}index.html`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildReviewWeb();
}
