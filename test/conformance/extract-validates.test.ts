/**
 * Every resource Chartmine writes names its profile and validates against it — checked the way a user would:
 * `chartmine extract` on notes, piped into `chartmine profiles validate`. On every committed test fixture (the
 * synthetic notes in test/fixtures/notes/, the rule stages' layout fixtures and the note builder's DocumentReference)
 * and on MTSamples when `../shared/data` has it (an evenly spread sample; MTSAMPLES_VALIDATE=all for every note,
 * about 7 minutes). Runs under the default mapping and under every site option flipped.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import type { Bundle } from '@medplum/fhirtypes';
import { FIXTURE_NOTES } from '../../src/nlp/testing/fixture-notes.js';
import { MTSAMPLES_RELATIVE_PATH, readMtsamplesNotes } from '../../src/nlp/testing/mtsamples.js';
import { aNote } from '../builders/note.js';
import { runCli } from '../support/cli.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOTES_DIR = join(REPO_ROOT, 'test/fixtures/notes');
/** MTSamples notes validated by default: an evenly spread sample keeps `npm test` fast (~5 ms per resource). */
const MTSAMPLES_SAMPLE = 60;

const work = mkdtempSync(join(tmpdir(), 'chartmine-profiles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));



/** The committed synthetic inputs, as files `chartmine extract` reads. */
function fixtureFiles(): string[] {
  const files = readdirSync(NOTES_DIR)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => join(NOTES_DIR, f));
  for (const note of FIXTURE_NOTES.filter((n) => n.text.trim())) {
    const file = join(work, `layout-${note.id}.txt`);
    writeFileSync(file, note.text);
    files.push(file);
  }
  const withEncounter = join(work, 'note-with-encounter.json');
  writeFileSync(
    withEncounter,
    JSON.stringify(
      aNote({ id: 'fx-enc', versionId: '3', encounter: 'Encounter/e1', text: readFileSync(join(NOTES_DIR, 'clinic-follow-up.txt'), 'utf8') })
    )
  );
  files.push(withEncounter);
  return files;
}

function mtsamplesFiles(): string[] {
  const corpus = readMtsamplesNotes(join(REPO_ROOT, MTSAMPLES_RELATIVE_PATH))?.filter((n) => n.text.trim());
  if (!corpus) return [];
  const all = process.env.MTSAMPLES_VALIDATE === 'all';
  const step = all ? 1 : Math.max(1, Math.floor(corpus.length / MTSAMPLES_SAMPLE));
  return corpus
    .filter((_, i) => i % step === 0)
    .slice(0, all ? undefined : MTSAMPLES_SAMPLE)
    .map((n) => {
      const file = join(work, `mtsamples-${n.noteId}.txt`);
      writeFileSync(file, n.text);
      return file;
    });
}

/** Extracts every file, validates the Bundles; returns the counts and the Bundles. */
async function extractAndValidate(files: readonly string[], env: Record<string, string>): Promise<{ resources: number; invalid: string[]; bundles: Bundle[] }> {
  const extracted = await runCli(['extract', '--ndjson', ...files], env);
  expect(extracted.code, extracted.err).toBe(0);
  const bundles = extracted.out.trim().split('\n').map((l) => JSON.parse(l) as Bundle);
  expect(bundles).toHaveLength(files.length);
  const validated = await runCli(['profiles', 'validate', '-'], env, extracted.out);
  const lines = validated.out.trim().split('\n');
  const summary = JSON.parse(lines.at(-1) as string) as { resources: number; invalid: number };
  return { resources: summary.resources, invalid: lines.slice(0, -1), bundles };
}

const SITE_OPTIONS = { VERIFICATION_AFFIRMED: 'unconfirmed', HISTORICAL_CLINICAL_STATUS: 'inactive', WRITE_HYPOTHETICAL: 'true', WRITE_UNCODED: 'false' };

describe('every resource `chartmine extract` writes validates against the profile it claims', () => {
  test('on every committed fixture note, with the default mapping and with every site option flipped', async () => {
    const all = fixtureFiles();
    const synthetic = all.filter((f) => f.startsWith(NOTES_DIR));
    for (const [files, env] of [
      [all, {}],
      [synthetic, SITE_OPTIONS],
    ] as const) {
      const { resources, invalid, bundles } = await extractAndValidate(files, env);
      expect(invalid).toEqual([]);
      expect(resources).toBeGreaterThan(80);
      const claimed = bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.meta?.profile?.[0]));
      expect(claimed.every((p) => p?.startsWith('https://chartmine.dev/fhir/StructureDefinition/'))).toBe(true);
      const types = new Set(bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.resourceType)));
      for (const type of ['Condition', 'MedicationStatement', 'Observation', 'FamilyMemberHistory', 'AllergyIntolerance', 'Device', 'Provenance', 'AuditEvent']) {
        expect(types, type).toContain(type);
      }
    }
  }, 120_000);

  const mtsamples = mtsamplesFiles();
  test(`on ${mtsamples.length > 0 ? `${mtsamples.length} MTSamples notes` : 'the committed synthetic notes again (MTSamples corpus not present)'}`, async () => {
    const files = mtsamples.length > 0 ? mtsamples : fixtureFiles();
    const { resources, invalid } = await extractAndValidate(files, {});
    expect(invalid.slice(0, 10)).toEqual([]);
    expect(resources).toBeGreaterThan(files.length);
  }, 600_000);
});
