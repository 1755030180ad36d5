/**
 * `scripts/patch-medplum-core.mjs` (npm's postinstall) rewrites one loop of the installed `@medplum/core`: the
 * choice-type lookup behind validation and FHIRPath. These tests hold it to "faster, never different":
 * - the copy every test and the server load is patched (the suite fails when the postinstall did not run or a
 *   Medplum upgrade no longer has the loop);
 * - the unpatched loop, verbatim as Medplum 4.5's bundle has it, and the patched one give the same value, type and
 *   primitive extension for every element of every R4 type and profile loaded, on objects with no candidate, each
 *   candidate alone, its `_` twin alone, candidates present as `undefined`, and pairs in both key orders;
 * - the script patches once, leaves other code alone with a warning, and `--check` tells a patched copy from one that
 *   is not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getAllDataTypes, getTypedPropertyValueWithSchema, type InternalSchemaElement } from '@medplum/core';
import { afterAll, describe, expect, test } from 'vitest';
import { ensureChartmineProfiles } from '../../src/fhir/profiles/load-profiles.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'patch-medplum-core.mjs');
const MARKER = '/*chartmine:choice-names*/';

/** The loop as @medplum/core 4.5.2's esm bundle has it (function `Mo`, capitalize `k`). */
const UNPATCHED_LOOP =
  'let o,s="undefined",a,c=t.path.lastIndexOf("."),u=t.path.substring(c+1);for(let p of i){let m=u.replace("[x]",k(p.code));if(o=n[m],a=n["_"+m],o!==void 0||a!==void 0){s=p.code;break}}';

/** A module holding the loop in the function frame it has in the bundle, returning what the loop leaves behind. */
const MODULE =
  'function k(r){return r?r.charAt(0).toUpperCase()+r.substring(1):""}\n' +
  `export function lookup(r,e,t){let n=r.value,i=t.type;if(!i||i.length===0)return;${UNPATCHED_LOOP}return {o,s,a}}\n`;

type Lookup = (typed: { type: string; value: unknown }, path: string, element: InternalSchemaElement) => { o: unknown; s: string; a: unknown } | undefined;

const dir = mkdtempSync(join(tmpdir(), 'chartmine-medplum-patch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runScript(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Candidate property names of an element, as the unpatched loop builds them (one per type). */
function candidates(element: InternalSchemaElement): string[] {
  const last = element.path.slice(element.path.lastIndexOf('.') + 1);
  return [...new Set(element.type.map((t) => last.replace('[x]', t.code.charAt(0).toUpperCase() + t.code.slice(1))))];
}

/** Objects that exercise the lookup for one element. */
function valuesFor(element: InternalSchemaElement): Record<string, unknown>[] {
  const names = candidates(element);
  const values: Record<string, unknown>[] = [{}, { unrelated: 1 }];
  for (const name of names) {
    values.push({ [name]: 'x' }, { [`_${name}`]: { id: 'e' } }, { [name]: undefined }, { [name]: undefined, [`_${name}`]: { id: 'e' } });
  }
  if (names.length > 1) {
    const [first, last] = [names[0], names[names.length - 1]];
    values.push({ [first]: 1, [last]: 2 }, { [last]: 2, [first]: 1 }, { [`_${last}`]: {}, [first]: 1 }, { [last]: [2], [`_${first}`]: [{}] });
  }
  return values;
}

describe('the patched @medplum/core', () => {
  test('is what this process loaded, and --check says so', () => {
    expect(getTypedPropertyValueWithSchema.toString()).toContain(MARKER);
    expect(getTypedPropertyValueWithSchema.toString()).not.toContain('u.replace("[x]"');
    const check = runScript('--check');
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  test('the patched loop returns what the unpatched loop returns, for every element of every type and profile', async () => {
    const original = join(dir, 'original.mjs');
    const patched = join(dir, 'patched.mjs');
    writeFileSync(original, MODULE);
    copyFileSync(original, patched);
    const run = runScript(patched);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/choice-type names patched/);
    expect(readFileSync(patched, 'utf8')).not.toContain(UNPATCHED_LOOP);
    const before = ((await import(pathToFileURL(original).href)) as { lookup: Lookup }).lookup;
    const after = ((await import(pathToFileURL(patched).href)) as { lookup: Lookup }).lookup;

    ensureChartmineProfiles();
    let compared = 0;
    let choiceElements = 0;
    for (const [typeName, schema] of Object.entries(getAllDataTypes())) {
      for (const [key, element] of Object.entries(schema.elements)) {
        if (key.endsWith('[x]')) choiceElements++;
        for (const value of valuesFor(element)) {
          // Twice: the first call fills the cache, the second reads it.
          for (let round = 0; round < 2; round++) {
            const want = before({ type: typeName, value }, key, element);
            const got = after({ type: typeName, value }, key, element);
            expect(got?.s, `${element.path} ${JSON.stringify(value)}`).toBe(want?.s);
            expect(got?.o).toBe(want?.o);
            expect(got?.a).toBe(want?.a);
            compared++;
          }
        }
      }
    }
    expect(choiceElements).toBeGreaterThan(100);
    expect(compared).toBeGreaterThan(50_000);

    // A schema element whose types change is looked up with its new types, not the cached names.
    const element: InternalSchemaElement = { ...getAllDataTypes().Extension.elements['value[x]'] };
    expect(after({ type: 'Extension', value: { valueString: 's' } }, 'value', element)?.s).toBe('string');
    element.type = [{ code: 'boolean' }];
    expect(after({ type: 'Extension', value: { valueString: 's', valueBoolean: true } }, 'value', element)?.s).toBe('boolean');
    expect(after({ type: 'Extension', value: { valueString: 's' } }, 'value', element)?.s).toBe(before({ type: 'Extension', value: { valueString: 's' } }, 'value', element)?.s);
  });

  test('patches once, leaves other code alone with a warning, and --check tells the two apart', () => {
    const file = join(dir, 'twice.mjs');
    writeFileSync(file, MODULE);
    expect(runScript('--check', file).status).toBe(1);
    expect(runScript(file).stdout).toMatch(/patched/);
    const once = readFileSync(file, 'utf8');
    expect(once.split(MARKER)).toHaveLength(3); // the helper and the loop, one marker each
    expect(runScript(file).stdout).toMatch(/already patched/);
    expect(readFileSync(file, 'utf8')).toBe(once);
    expect(runScript('--check', file).status).toBe(0);

    const other = join(dir, 'other.mjs');
    const text = MODULE.replace('s=p.code;break', 's=p.code;continue');
    writeFileSync(other, text);
    const run = runScript(other);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/choice-type lookup not found .* left as is/);
    expect(readFileSync(other, 'utf8')).toBe(text);
    expect(runScript('--check', other).status).toBe(1);
  });

  test('a bundle that opens with "use strict" keeps it first, so the bundle stays strict', async () => {
    const file = join(dir, 'strict.cjs');
    const cjs = MODULE.replace('export function lookup', 'function lookup');
    writeFileSync(file, `"use strict";${cjs}module.exports={lookup,strict:(function(){return this===undefined})()};\n//# sourceMappingURL=strict.cjs.map`);
    expect(runScript(file).stdout).toMatch(/cjs: choice-type names patched/);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('"use strict";')).toBe(true);
    const mod = createRequire(import.meta.url)(file) as { lookup: Lookup; strict: boolean };
    expect(mod.strict).toBe(true);
    const element = getAllDataTypes().Extension.elements['value[x]'];
    expect(mod.lookup({ type: 'Extension', value: { valueCode: 'c' } }, 'value', element)?.s).toBe('code');
    for (const bundle of ['esm/index.mjs', 'cjs/index.cjs']) {
      const installed = readFileSync(join(ROOT, 'node_modules/@medplum/core/dist', bundle), 'utf8');
      expect(installed.indexOf(MARKER), bundle).toBeGreaterThan(1000);
    }
    expect(readFileSync(join(ROOT, 'node_modules/@medplum/core/dist/cjs/index.cjs'), 'utf8').startsWith('"use strict";')).toBe(true);
  });

  test('npm runs the script after every install', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.postinstall).toBe('node scripts/patch-medplum-core.mjs');
    expect(execFileSync(process.execPath, [SCRIPT], { encoding: 'utf8' })).toMatch(/esm: choice-type names already patched/);
  });
});
