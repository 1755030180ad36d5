#!/usr/bin/env node
/**
 * Speeds up one function of the installed `@medplum/core` (4.5.x) without changing what it returns: the choice-type
 * lookup `getTypedPropertyValueWithSchema`, which every validation and FHIRPath evaluation goes through. For an
 * element such as `Extension.value[x]` (50 types) it builds each candidate name (`valueBase64Binary`,
 * `valueBoolean`, …) with `replace` and `capitalize` on every call, then reads it and its `_` twin from the object
 * until one is present; an extension with sub-extensions has no value, so all 50 names are built and read each time
 * (the validator's walk, `ext-1` and `ele-1` each do it). It was the most expensive function of the server's main
 * thread (README "Validation without re-building choice-type names").
 *
 * The patch keeps the loop, its order and its reads, and only builds the names once per element definition (a
 * WeakMap keyed by the schema element, checked against its `type` array and `path`); an element without `[x]` has
 * one name, read once (the unpatched loop read the same name once per type). Same reads in the same order, so the
 * same result for any object.
 *
 *   node scripts/patch-medplum-core.mjs           patch the installed copy (npm runs it after every install)
 *   node scripts/patch-medplum-core.mjs --check   exit 1 unless the installed copy is patched
 *   node scripts/patch-medplum-core.mjs FILE...   patch these files (tests)
 *
 * A file without the expected code (another Medplum version) is left as it is, with a warning: validation is then
 * as correct and only slower. `test/deploy/medplum-core-patch.test.ts` fails when the installed copy is not patched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MARKER = '/*chartmine:choice-names*/';

/** The unpatched loop as esbuild minified it for 4.5.x; the capitalize helper's name differs between builds. */
const LOOP =
  /let o,s="undefined",a,c=t\.path\.lastIndexOf\("\."\),u=t\.path\.substring\(c\+1\);for\(let p of i\)\{let m=u\.replace\("\[x\]",([A-Za-z_$][\w$]*)\(p\.code\)\);if\(o=n\[m\],a=n\["_"\+m\],o!==void 0\|\|a!==void 0\)\{s=p\.code;break\}\}/g;

/**
 * The patched text of one bundle.
 * @param {string} text - the bundle's source.
 * @returns {{ text: string, status: 'patched' | 'already patched' | 'not found' }}
 */
export function patchSource(text) {
  if (text.includes(MARKER)) return { text, status: 'already patched' };
  const matches = [...text.matchAll(LOOP)];
  if (matches.length !== 1) return { text, status: 'not found' };
  const capitalize = matches[0][1];
  const loop =
    `${MARKER}let o,s="undefined",a;{let q=__chartmineChoiceNames(t,i,${capitalize});` +
    'for(let j=0;j<q.names.length;j++){if(o=n[q.names[j]],a=n[q.under[j]],o!==void 0||a!==void 0){s=i[j].code;break}}}';
  // A function declaration at the end: hoisted, so the loop can call it however early the bundle runs it, and
  // nothing goes before the bundle's first statement (the CommonJS bundle opens with "use strict", a directive only
  // there: code put before it would turn the whole bundle sloppy). Its cache lives on the function, made on first use.
  const helper =
    `\n${MARKER}function __chartmineChoiceNames(t,i,cap){` +
    'let c=__chartmineChoiceNames.cache||(__chartmineChoiceNames.cache=new WeakMap());let q=c.get(t);' +
    'if(q!==void 0&&q.types===i&&q.length===i.length&&q.path===t.path)return q;' +
    'let u=t.path.substring(t.path.lastIndexOf(".")+1);' +
    'let names=u.includes("[x]")?i.map(p=>u.replace("[x]",cap(p.code))):[u];' +
    'q={types:i,length:i.length,path:t.path,names,under:names.map(m=>"_"+m)};' +
    'c.set(t,q);return q}\n';
  const patched = text.slice(0, matches[0].index) + loop + text.slice(matches[0].index + matches[0][0].length);
  return { text: patched + helper, status: 'patched' };
}

/** The installed package: its folder (above `dist/cjs/index.cjs`, what `require` resolves to) and its version. */
function installedCore() {
  const root = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@medplum/core'))));
  return { root, version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version };
}

function main(args) {
  const check = args.includes('--check');
  const files = args.filter((a) => a !== '--check');
  let version = 'unknown';
  if (files.length === 0) {
    try {
      const core = installedCore();
      files.push(join(core.root, 'dist', 'esm', 'index.mjs'), join(core.root, 'dist', 'cjs', 'index.cjs'));
      version = core.version;
    } catch (err) {
      console.warn(`chartmine: @medplum/core is not installed; nothing patched (${err.message})`);
      return check ? 1 : 0;
    }
  }
  let failed = 0;
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const { text, status } = patchSource(before);
    if (check) {
      if (status !== 'already patched') {
        console.error(`chartmine: ${file} is not patched (${status === 'patched' ? 'run node scripts/patch-medplum-core.mjs' : 'unexpected code'})`);
        failed = 1;
      }
      continue;
    }
    if (status === 'patched') writeFileSync(file, text);
    if (status === 'not found') {
      console.warn(`chartmine: @medplum/core ${version}: choice-type lookup not found in ${file}; left as is (validation is as correct, only slower)`);
    } else {
      console.log(`chartmine: @medplum/core ${version} ${file.endsWith('.cjs') ? 'cjs' : 'esm'}: choice-type names ${status}`);
    }
  }
  return failed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
