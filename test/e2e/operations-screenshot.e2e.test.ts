/**
 * The queue dashboard in a real browser (Debian's chromium through playwright-core): log in with the admin token,
 * open the analyse queue's failed jobs, see the job with its OperationOutcome reason and no note text in the page.
 * With UPDATE_SCREENSHOTS=1 it also saves the README's screenshots under docs/screenshots/. Without chromium at
 * /usr/bin/chromium the test is skipped and says why.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DocumentReference } from '@medplum/fhirtypes';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ANALYZE_NOTE_QUEUE } from '../../src/queue/analyze-note.queue.js';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SENTINEL = 'GIRAFFE-COBALT-7730';
/** Flags for a headless chromium with no network of its own (no updates, sync or QUIC probes). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!HAS_CHROMIUM) {
  console.warn(`operations-screenshot: skipped, no browser at ${CHROMIUM} (apt-get install chromium)`);
}

let app: TestServer;
let browser: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { ADMIN_TOKEN, WORKERS: '1' } });
  for (let i = 0; i < 3; i++) {
    const created = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: `Hypertension. Asthma. ${SENTINEL}` }));
    expect(created.status).toBe(201);
  }
  const pdf = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: `Asthma ${SENTINEL}`, contentType: 'application/pdf' }));
  expect(pdf.status).toBe(201);
  await app.idle();
  profile = mkdtempSync(join(tmpdir(), 'chartmine-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

test.skipIf(!HAS_CHROMIUM)('a browser logs in, sees the failed job with its OperationOutcome reason and no note text', async () => {
  const page = await (browser as BrowserContext).newPage();
  await page.goto(`${app.url}/admin/queues`);
  expect(page.url()).toBe(`${app.url}/admin/login`);
  await page.fill('#token', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${app.url}/admin/queues**`), page.click('button[type=submit]')]);
  await page.getByText(ANALYZE_NOTE_QUEUE).first().waitFor({ timeout: 20_000 });
  if (UPDATE) {
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'admin-queues-overview.png') });
  }
  expect(await page.content()).not.toContain(SENTINEL);

  await page.goto(`${app.url}/admin/queues/queue/${ANALYZE_NOTE_QUEUE}?status=failed`);
  await page.getByText('error-unsupported-content').first().waitFor({ timeout: 20_000 });
  const text = await page.locator('body').innerText();
  expect(text).toMatch(/no readable attachment \(content types: application\/pdf\)/);
  expect(text).not.toContain(SENTINEL);
  if (UPDATE) await page.screenshot({ path: join(SCREENSHOTS_DIR, 'admin-queues.png'), fullPage: true });
}, 60_000);
