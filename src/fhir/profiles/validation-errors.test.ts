/**
 * `validationErrors` (what the embedded store checks on every write) must give exactly the errors of
 * `errorsOf(validateAgainstProfiles(…))` while skipping the base definition's walk where a claimed profile implies it:
 * on everything the pipeline writes for the fixture notes, and on broken copies of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { loadConfig } from '../../config/config.js';
import { DEFAULT_MAPPING_OPTIONS } from '../finding-types.js';
import { extractNote, toTextNote } from '../../jobs/extract-note.js';
import { loadPipeline } from '../../pipeline-loader.js';
import { buildSoftwareInfo } from '../../provenance/software.js';
import { CHARTMINE_VERSION } from '../../version.js';
import { PROFILES } from '../naming.js';
import { ensureChartmineProfiles } from './load-profiles.js';
import { errorsOf, profileImpliesBase, validateAgainstProfiles, validationErrors } from './validate.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/notes');
let written: Resource[] = [];

beforeAll(async () => {
  ensureChartmineProfiles();
  const pipeline = await loadPipeline(loadConfig({ NER_MODEL: 'none' }));
  const software = buildSoftwareInfo(CHARTMINE_VERSION, pipeline.info);
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'))) {
    const note = toTextNote(readFileSync(join(FIXTURES, file), 'utf8'), 'Patient/p1');
    const bundle: Bundle = await extractNote(note, { nlp: pipeline, software, mapping: DEFAULT_MAPPING_OPTIONS, maxDocumentBytes: 1 << 20, recorded: '2026-01-01T00:00:00Z' });
    written.push(...(bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])));
  }
  written = written.filter((r) => r.resourceType !== 'Bundle');
}, 60_000);

const slow = (r: Resource): unknown => errorsOf(validateAgainstProfiles(r, { unknownProfiles: 'ignore' }));
const fast = (r: Resource): unknown => validationErrors(r, { unknownProfiles: 'ignore' });

describe('validationErrors', () => {
  test('everything the pipeline writes is valid both ways, and every profile it claims lets the base walk be skipped', () => {
    const types = new Set(written.map((r) => r.resourceType));
    expect([...types]).toEqual(expect.arrayContaining(['Condition', 'MedicationStatement', 'Observation', 'Provenance', 'AuditEvent', 'Device']));
    const { profiles } = ensureChartmineProfiles();
    for (const r of written) {
      expect(fast(r), r.resourceType).toEqual([]);
      expect(slow(r), r.resourceType).toEqual([]);
      const claimed = (r.meta?.profile ?? []).flatMap((url) => profiles.get(url) ?? []);
      expect(claimed.some((p) => profileImpliesBase(r, p)), `${r.resourceType} ${r.meta?.profile?.join()}`).toBe(true);
    }
  });

  test('broken copies get the same errors, in the same order, as the full validation', () => {
    const breakers: ((r: Record<string, unknown>) => Record<string, unknown>)[] = [
      (r) => ({ ...r, notAnElement: true }), // an additional property
      (r) => ({ ...r, id: 'bad id!' }), // id pattern (base primitive rule)
      (r) => ({ ...r, subject: undefined, patient: undefined, target: undefined, agent: undefined }), // required elements
      (r) => ({ ...r, status: 7 }), // wrong JSON type
      (r) => ({ ...r, language: '' }), // empty string
      (r) => ({ ...r, text: { status: 'generated', div: 'not xhtml' } }), // txt-1
      (r) => ({ ...r, valueString: 'two\u0001words' }), // a choice type the profile may drop, with an invalid character
      (r) => ({ ...r, effectiveInstant: 'yesterday' }), // a choice type narrowed away, invalid
      (r) => ({ ...r, medicationReference: { reference: 'Medication/m 1' }, medicationCodeableConcept: undefined }),
      (r) => ({ ...r, resourceType: r.resourceType === 'Condition' ? 'Procedure' : 'Condition' }), // claims another type's profile
      (r) => ({ ...r, meta: { ...(r.meta as object), profile: [PROFILES.condition] } }),
      (r) => ({ ...r, contained: [{ resourceType: 'Patient', id: 'x', gender: 'robot' }] }),
      (r) => ({ ...r, extension: [{ url: 'http://example.org/x' }] }), // ext-1
    ];
    let compared = 0;
    let refused = 0;
    for (const r of written) {
      for (const breakIt of breakers) {
        const broken = JSON.parse(JSON.stringify(breakIt(r as unknown as Record<string, unknown>))) as Resource;
        const want = slow(broken);
        expect(fast(broken), `${r.resourceType} ${breakIt.toString()}`).toEqual(want);
        compared++;
        if ((want as unknown[]).length > 0) refused++;
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(compared / 2);
  });

  test('a profile that loosens the base definition does not stand in for it', () => {
    const { profiles } = ensureChartmineProfiles();
    const condition = profiles.get(PROFILES.condition) as StructureDefinition;
    const r = written.find((x) => x.resourceType === 'Condition') as Resource;
    expect(profileImpliesBase(r, condition)).toBe(true);
    const loose: StructureDefinition = {
      ...condition,
      url: `${condition.url}-loose`,
      snapshot: {
        element: (condition.snapshot?.element ?? []).map((e) => (e.path === 'Condition.subject' ? { ...e, min: 0 } : e)),
      },
    };
    expect(profileImpliesBase(r, loose)).toBe(false);
    // Another resource type never stands in.
    expect(profileImpliesBase({ ...r, resourceType: 'Procedure' } as Resource, condition)).toBe(false);
  });
});
