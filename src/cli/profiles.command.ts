import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { buildConformanceFiles, buildConformanceIndex, INDEX_FILE, toFileContent } from '../fhir/profiles/conformance.js';
import { DEFAULT_PROFILES_DIR } from '../fhir/profiles/load-profiles.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from '../fhir/profiles/validate.js';
import type { CliCommand } from './command.js';
import { readAll, UsageError } from './command.js';

/** `chartmine profiles`: compile the conformance resources, check them for drift, validate output against them. */
export const profilesCommand: CliCommand = {
  name: 'profiles',
  help: [
    'Usage: chartmine profiles build [--out DIR]',
    '       chartmine profiles check [--dir DIR]',
    '       chartmine profiles validate [FILE|-]...',
    '',
    '  build      compile the conformance resources from their sources (src/fhir/profiles/) into fhir-profiles/',
    '  check      exit 1 when fhir-profiles/ differs from what the sources compile to (the CI drift check)',
    '  validate   read FHIR JSON (a resource, a Bundle, or NDJSON of either, e.g. `chartmine extract` output) and',
    '             validate every resource against R4 and the profiles it claims; prints one line per invalid',
    '             resource and a summary line; exit 1 when any is invalid',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { out: { type: 'string' }, dir: { type: 'string' } },
      allowPositionals: true,
    });
    const [action, ...files] = positionals;
    switch (action) {
      case 'build': {
        const dir = values.out ?? DEFAULT_PROFILES_DIR;
        const compiled = buildConformanceFiles();
        mkdirSync(dir, { recursive: true });
        for (const stale of readdirSync(dir).filter((f) => f.endsWith('.json'))) rmSync(join(dir, stale));
        for (const file of compiled) writeFileSync(join(dir, file.fileName), toFileContent(file.resource));
        writeFileSync(join(dir, INDEX_FILE), toFileContent(buildConformanceIndex(compiled)));
        io.stdout.write(`${JSON.stringify({ written: compiled.length + 1, dir })}\n`);
        return 0;
      }
      case 'check': {
        const drift = findDrift(values.dir ?? DEFAULT_PROFILES_DIR);
        io.stdout.write(`${JSON.stringify({ drift })}\n`);
        if (drift.length > 0) io.stderr.write('fhir-profiles/ is out of date: run `chartmine profiles build`\n');
        return drift.length > 0 ? 1 : 0;
      }
      case 'validate': {
        const inputs = files.length > 0 ? files : ['-'];
        let resources = 0;
        let invalid = 0;
        for (const input of inputs) {
          const raw = input === '-' ? await readAll(io.stdin) : readFileSync(input, 'utf8');
          for (const { resource, where } of resourcesIn(raw)) {
            resources++;
            const errors = errorsOf(validateAgainstProfiles(resource));
            if (errors.length > 0) {
              invalid++;
              io.stdout.write(`${JSON.stringify({ resourceType: resource.resourceType, where, profile: resource.meta?.profile, issues: describeIssues(errors) })}\n`);
            }
          }
        }
        io.stdout.write(`${JSON.stringify({ resources, invalid })}\n`);
        return invalid > 0 ? 1 : 0;
      }
      default:
        throw new UsageError(action ? `unknown action '${action}'` : 'build, check or validate?');
    }
  },
};

/**
 * Files whose content differs from what the sources compile to (missing, changed or extra).
 * @param dir - the fhir-profiles folder.
 * @returns the differing file names; empty when in step.
 */
export function findDrift(dir: string): string[] {
  const present = new Set(readdirSync(dir).filter((f) => f.endsWith('.json'))); // a missing folder fails fast
  const compiled = buildConformanceFiles();
  const expected = new Map(compiled.map((f) => [f.fileName, toFileContent(f.resource)]));
  expected.set(INDEX_FILE, toFileContent(buildConformanceIndex(compiled)));
  const drift: string[] = [];
  for (const [file, content] of expected) {
    if (!present.has(file) || readFileSync(join(dir, file), 'utf8') !== content) drift.push(file);
  }
  for (const file of present) if (!expected.has(file)) drift.push(file);
  return drift.sort();
}

/** Every resource in JSON or NDJSON input; Bundles are opened (their entries), as `chartmine extract` writes them. */
function resourcesIn(raw: string): { resource: Resource; where: string }[] {
  const trimmed = raw.trim();
  if (!trimmed) return [];
  let documents: unknown[];
  try {
    documents = [JSON.parse(trimmed)];
  } catch (err: unknown) {
    void err; // not one JSON document: NDJSON
    documents = trimmed.split('\n').filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch (lineErr: unknown) {
        void lineErr;
        throw new UsageError(`line ${i + 1} is not JSON`);
      }
    });
  }
  const out: { resource: Resource; where: string }[] = [];
  documents.forEach((doc, d) => {
    const resource = doc as Resource;
    if (resource?.resourceType === 'Bundle') {
      ((resource as Bundle).entry ?? []).forEach((e, i) => {
        if (e.resource) out.push({ resource: e.resource, where: `${d + 1}:entry[${i}]` });
      });
    } else if (resource?.resourceType) {
      out.push({ resource, where: `${d + 1}` });
    }
  });
  return out;
}
