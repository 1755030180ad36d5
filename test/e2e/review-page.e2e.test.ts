/**
 * The reviewer page in a real browser (Debian's chromium driven by playwright-core; nothing downloads a browser):
 * a note posted to the embedded store is analysed by the shipped pipeline; the page shows each finding highlighted
 * at its derivation-reference offsets; a reviewer reaches a finding with the keyboard and rejects it; FHIR then
 * holds the rejection with the reviewer's Provenance, and a new note version does not undo it.
 * Screenshots go to test/e2e/.artifacts/ (gitignored), or to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 * Skips, saying why, only where no chromium is installed (`.ci/run` installs it with apt).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { AuditEvent, Bundle, Condition, DocumentReference, Extension, Provenance, Resource } from '@medplum/fhirtypes';
import { buildReviewWeb } from '../../src/review/build-web.js';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(`review-page e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}
const REVIEWER = 'Practitioner/dr-review';
const TOKEN = 'review-token-e2e-0123456789';
const NOTE_TEXT =
  'Assessment: hypertension and type 2 diabetes on metformin 500 mg PO BID. Denies chest pain. BP 151/93, HR 77.\n' +
  'History of asthma as a child. Allergies: penicillin (hives).';
const DERIVATION = 'http://hl7.org/fhir/StructureDefinition/derivation-reference';
const SOURCE = 'https://chartmine.dev/fhir/CodeSystem/source-document';
const SHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs/screenshots') : join(process.cwd(), 'test/e2e/.artifacts');

let app: TestServer;
let note: DocumentReference & { id: string };
let context: BrowserContext;
let page: Page;
let profileDir: string;
const consoleErrors: string[] = [];

async function search<T extends Resource>(query: string): Promise<T[]> {
  const response = await app.request<Bundle<T>>('GET', `/fhir/R4/${query}`);
  expect(response.status).toBe(200);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

function spansOf(resource: Resource): { start: number; end: number; document: string | undefined }[] {
  return ((resource as { extension?: Extension[] }).extension ?? [])
    .filter((e) => e.url === DERIVATION)
    .map((e) => {
      const part = (url: string): Extension | undefined => e.extension?.find((x) => x.url === url);
      const start = part('offset')?.valueInteger ?? -1;
      return { start, end: start + (part('length')?.valueInteger ?? 0), document: part('reference')?.valueReference?.reference };
    });
}

/** The focused element's id and title (the page's DOM, read in the browser). */
async function activeElement(): Promise<{ id: string; title: string }> {
  return page.evaluate(() => {
    const active = (globalThis as unknown as { document: { activeElement: { id: string; title: string } | null } }).document.activeElement;
    return { id: active?.id ?? '', title: active?.title ?? '' };
  });
}

describe.skipIf(!HAS_CHROMIUM)('the reviewer page in chromium', () => {
  beforeAll(async () => {
    await buildReviewWeb();
    app = await startTestServer({ pipeline: realPipeline, env: { REVIEW_TOKEN: `${REVIEWER}=${TOKEN}` } });
    const created = await app.request<DocumentReference & { id: string }>('POST', '/fhir/R4/DocumentReference', aNote({ text: NOTE_TEXT, subject: 'Patient/review-e2e' }));
    expect(created.status).toBe(201);
    note = created.body;
    await app.idle(60_000);
    profileDir = mkdtempSync(join(tmpdir(), 'chartmine-review-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await app?.close();
  });

  test('highlights at the derivation-reference offsets; keyboard reject is written as FHIR with the reviewer\'s Provenance', async () => {
    const derived = (await Promise.all(['Condition', 'MedicationStatement', 'Observation', 'AllergyIntolerance'].map((t) => search(`${t}?_tag=${encodeURIComponent(`${SOURCE}|${note.id}`)}`)))).flat();
    const documentVersion = `DocumentReference/${note.id}/_history/${note.meta?.versionId}`;
    expect(derived.length).toBeGreaterThanOrEqual(4);

    await page.goto(`${app.url}/review`);
    await page.getByLabel('Reviewer token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#who').textContent()).toBe(`Signed in as ${REVIEWER}`);
    await page.getByLabel('Patient').fill('Patient/review-e2e');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: new RegExp(`DocumentReference/${note.id}\\)`) }).click();
    await page.locator('#note-text mark').first().waitFor();

    // Every mark shows exactly the note text at its offsets, and every span FHIR holds for this version is marked.
    const marks = await page.locator('#note-text mark').evaluateAll((els) =>
      els.map((m) => ({ ref: m.getAttribute('data-ref'), start: Number(m.getAttribute('data-start')), end: Number(m.getAttribute('data-end')), text: m.textContent }))
    );
    for (const mark of marks) expect(mark.text, mark.ref).toBe(NOTE_TEXT.slice(mark.start, mark.end));
    const expected = derived.flatMap((r) => spansOf(r).filter((s) => s.document === documentVersion).map((s) => ({ ref: `${r.resourceType}/${r.id}`, start: s.start, end: s.end })));
    const overlapsAnother = (s: { start: number; end: number; ref: string }): boolean => expected.some((o) => o.ref !== s.ref && o.start < s.end && s.start < o.end);
    for (const span of expected.filter((s) => !overlapsAnother(s))) {
      expect(marks, `${span.ref} ${span.start}-${span.end}`).toContainEqual({ ...span, text: NOTE_TEXT.slice(span.start, span.end) });
    }
    expect(marks.length).toBeGreaterThanOrEqual(4);
    mkdirSync(SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: join(SHOTS_DIR, 'review-note.png'), fullPage: true });

    // Keyboard only: Tab from the note text to the hypertension Condition in the side list, Enter, then to Reject.
    const target = derived.find((r): r is Condition & { id: string } => r.resourceType === 'Condition' && JSON.stringify((r as Condition).code).toLowerCase().includes('hypertens'));
    expect(target, 'a hypertension Condition').toBeDefined();
    const targetRef = `Condition/${target?.id}`;
    await page.locator('#note-text').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await activeElement()).title === targetRef;
    }
    expect(reached, 'Tab reaches the finding').toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#detail-title').textContent()).toContain(targetRef);
    await expect.poll(() => page.locator('#provenance-chain li').count()).toBeGreaterThanOrEqual(1);
    await page.keyboard.press('Tab'); // Accept
    await page.keyboard.press('Tab'); // Reject
    expect((await activeElement()).id).toBe('reject');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#decision-status').textContent()).toContain('Saved: reject');
    await expect.poll(() => page.locator('#provenance-chain li.decision').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS_DIR, 'review-provenance.png'), fullPage: true });

    // FHIR: the Condition is entered-in-error and reviewed; a Provenance names the reviewer as verifier.
    const condition = (await app.request<Condition>('GET', `/fhir/R4/${targetRef}`)).body;
    expect(condition.verificationStatus?.coding?.[0]?.code).toBe('entered-in-error');
    expect(condition.meta?.tag?.map((t) => t.code)).toContain('reviewed');
    const provenances = await search<Provenance>(`Provenance?target=${targetRef}`);
    const decision = provenances.find((p) => p.activity?.coding?.some((c) => c.code === 'review-reject'));
    expect(decision?.agent[0]).toMatchObject({ type: { coding: [{ code: 'verifier' }] }, who: { reference: REVIEWER } });
    expect(decision?.entity?.map((e) => e.what.reference)).toContain(`${targetRef}/_history/${target?.meta?.versionId}`);
    expect(decision?.target[0]?.reference).toBe(`${targetRef}/_history/${condition.meta?.versionId}`);

    // A stale page: someone else decides on the medication after the page loaded it; the page says so.
    expect(consoleErrors).toEqual([]);
    const medication = derived.find((r) => r.resourceType === 'MedicationStatement');
    const medicationRef = `MedicationStatement/${medication?.id}`;
    await page.locator(`#finding-list button[title="${medicationRef}"]`).click();
    await expect.poll(() => page.locator('#detail-title').textContent()).toContain(medicationRef);
    const elsewhere = await app.request('POST', `/review/api/findings/${medicationRef}/decision`, { versionId: medication?.meta?.versionId, decision: 'accept' }, {
      Authorization: `Bearer ${TOKEN}`,
      'Content-Type': 'application/json',
    });
    expect(elsewhere.status).toBe(200);
    await page.locator('#reject').click();
    await expect.poll(() => page.locator('#decision-status').textContent()).toContain('changed since you loaded it');
    expect((await app.request<{ status: string }>('GET', `/fhir/R4/${medicationRef}`)).body.status).not.toBe('entered-in-error');
    // The browser reports the 412 answer itself as a console error; nothing else may appear.
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !/status of 412/.test(e)));

    // Correct: find a code by phrase, choose it, change the assertion, save.
    const chestPain = derived.find((r) => r.resourceType === 'Condition' && JSON.stringify((r as Condition).code).toLowerCase().includes('chest pain'));
    const chestPainRef = `Condition/${chestPain?.id}`;
    await page.locator(`#finding-list button[title="${chestPainRef}"]`).click();
    await expect.poll(() => page.locator('#detail-title').textContent()).toContain(chestPainRef);
    await page.getByLabel('Find a code').fill('chest pain');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.locator('#c-results button').first().click();
    expect(await page.getByLabel('Code', { exact: true }).inputValue()).not.toBe('');
    await page.getByLabel('Assertion').selectOption('possible');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await expect.poll(() => page.locator('#decision-status').textContent()).toContain('Saved: correct');
    const correctedCondition = (await app.request<Condition>('GET', `/fhir/R4/${chestPainRef}`)).body;
    expect(correctedCondition.verificationStatus?.coding?.[0]?.code).toBe('provisional');

    // A new note version is re-analysed; the rejection stands and the run's AuditEvent counts the three reviewed
    // findings (rejected, accepted, corrected) as kept.
    const v2 = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${note.id}`, { ...aNote({ text: `${NOTE_TEXT}\nPlan: recheck BP in 2 weeks.`, subject: 'Patient/review-e2e' }), id: note.id });
    expect(v2.status).toBe(200);
    await app.idle(60_000);
    const after = (await app.request<Condition>('GET', `/fhir/R4/${targetRef}`)).body;
    expect(after.meta?.versionId).toBe(condition.meta?.versionId);
    expect(after.verificationStatus?.coding?.[0]?.code).toBe('entered-in-error');
    const audits = await search<AuditEvent>(`AuditEvent?_tag=${encodeURIComponent(`${SOURCE}|${note.id}`)}`);
    const v2Audit = audits.find((a) => a.entity?.[0]?.what?.reference === `DocumentReference/${note.id}/_history/${v2.body.meta?.versionId}`);
    expect(v2Audit?.entity?.[0]?.detail?.find((d) => d.type === 'keptReviewed')?.valueString).toBe('3');

    // Accessibility basics: every form control has a label, every button a name.
    const unlabelled = await page.evaluate(() => {
      type Control = { id: string; labels: { length: number } | null; textContent: string | null; getAttribute(n: string): string | null };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Control> } }).document;
      return [
        ...[...doc.querySelectorAll('input, select')].filter((c) => !c.labels?.length).map((c) => c.id),
        ...[...doc.querySelectorAll('button')].filter((b) => !(b.textContent ?? '').trim() && !b.getAttribute('aria-label')).map((b) => b.id),
      ];
    });
    expect(unlabelled).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
