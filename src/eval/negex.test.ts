import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { judgeNegexRows, locateCondition, NEGEX_FILE, negexSuite, parseNegexAnnotations, scoreNegex } from './negex.js';

/** Synthetic rows in the reference standard's format (header line, TAB-separated, condition upper-cased). */
const FIXTURE = [
  'line number\tCondition\tsentence\tnegation_status\ttemporality\texperiencer',
  '1\tedema\tExtremities reveal no peripheral cyanosis or EDEMA.\tNegated\tRecent\tPatient',
  '2\tfever\tThe patient reports FEVER and chills.\tAffirmed\tRecent\tPatient',
  '3\tchest pain\tReturn to the ED if CHEST PAIN recurs.\tAffirmed\tNot particular\tPatient',
  '4\tbreast cancer\tHer mother had BREAST CANCER.\tAffirmed\tHistorical\tFamily member',
  '5\tstroke\tShe has a history of STROKE.\tAffirmed\tHistorical\tPatient',
  '6\tallergies\tALLERGIES:  He has no known ALLERGIES.\tNegated\tHistorical\tPatient',
  '7\tpneumonia\tNo increase in the PNEUMONIA.\tAffirmed\tRecent\tPatient',
].join('\n');

describe('negex suite building blocks', () => {
  test('parses rows and finds the upper-cased condition, skipping a header that spells it', () => {
    const rows = parseNegexAnnotations(FIXTURE);
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({ line: 1, condition: 'edema', negation: 'Negated', temporality: 'Recent' });
    const span = locateCondition(rows[5])!;
    expect(rows[5].sentence.slice(span.start, span.end)).toBe('ALLERGIES');
    expect(span.start).toBeGreaterThan(10);
    expect(locateCondition({ condition: 'incisions are dry and intact', sentence: 'INCISIONS ARE DRY AND   INTACT.' })).toEqual({ start: 0, end: 30 });
    expect(locateCondition({ condition: 'absent', sentence: 'Nothing here.' })).toBeUndefined();
  });

  test('scores every category on the fixture', () => {
    const rows = scoreNegex(judgeNegexRows(parseNegexAnnotations(FIXTURE)));
    const by = Object.fromEntries(rows.map((r) => [r.category, r]));
    expect(by.negated).toMatchObject({ tp: 2, fp: 0, fn: 0, f1: 1 });
    expect(by.hypothetical).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(by['experiencer-other']).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(by.historical.tp).toBeGreaterThanOrEqual(1);
  });

  test('a malformed row names its line', () => {
    expect(() => parseNegexAnnotations('header\n1\tx\ty\tMaybe\tRecent\tPatient')).toThrow(/line 2/);
  });

  test('the suite reports the held-out split, all lines, and the published figures with sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'negex-'));
    mkdirSync(join(dir, 'negex-context'));
    writeFileSync(join(dir, NEGEX_FILE), FIXTURE, 'latin1');
    const report = await negexSuite.run({ dataDir: dir, args: [] });
    expect(report.rows.map((r) => r.category)).toEqual(['negated', 'historical', 'hypothetical', 'experiencer-other']);
    expect(report.text).toContain('Evaluation split: lines 1901-');
    expect(report.text).toContain('All lines 1-7');
    expect(report.text).toContain('chapmanbe/negex TestSet.md');
    expect(report.text).toContain('genConText/README.txt');
    expect(report.extra?.published).toHaveLength(2);
    await expect(negexSuite.run({ dataDir: join(dir, 'missing'), args: [] })).rejects.toThrow(/missing/);
  });
});

// On the shared reference standard when it is present; otherwise the same targets are asserted on the fixture.
const SHARED = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const haveShared = existsSync(join(SHARED, NEGEX_FILE));
test(`negation F1 >= 0.95 on ${haveShared ? 'the held-out lines 1901-2376' : 'the synthetic fixture (shared data absent)'}`, async () => {
  const report = await negexSuite.run({ dataDir: haveShared ? SHARED : writeFixtureDir(), args: [] });
  const negated = report.rows.find((r) => r.category === 'negated')!;
  if (haveShared) expect(negated.tp + negated.fn).toBe(94);
  expect(negated.f1).toBeGreaterThanOrEqual(0.95);
}, 60_000);

function writeFixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'negex-'));
  mkdirSync(join(dir, 'negex-context'));
  writeFileSync(join(dir, NEGEX_FILE), FIXTURE.split('\n').map((l, i) => (i === 0 ? l : l.replace(/^(\d+)/, (n) => String(1900 + Number(n))))).join('\n'), 'latin1');
  return dir;
}
