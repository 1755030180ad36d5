/**
 * docker compose cannot run here (no daemon, and Debian ships only Compose v1, which lacks `dockerfile_inline`):
 * these checks keep the file honest. It validates against the Compose Specification's JSON schema (the copy npm's
 * `dclint` ships, which knows `dockerfile_inline` and `name`); every path the inline Dockerfile copies exists in the
 * repository and is not excluded by .dockerignore; the build context excludes what must never be sent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const ignore = existsSync(join(ROOT, '.dockerignore'))
  ? readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  : [];

/** The sources of each `COPY <src>... <dest>` line of the inline Dockerfile. */
function copiedPaths(): string[] {
  return [...compose.matchAll(/^\s+COPY\s+(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
}

/** The Compose Specification schema as dclint ships it; its `$schema` names draft-07 by an address Ajv does not know. */
function composeValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
}

describe('docker-compose.yml', () => {
  test('validates against the Compose Specification schema, and a misspelt key would not', () => {
    const validate = composeValidator();
    const doc = parse(compose, { merge: true }) as { services: Record<string, { build?: Record<string, unknown> }> };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);

    const server = doc.services.chartmine;
    expect(server.build?.dockerfile_inline).toBeTypeOf('string');
    const misspelt = structuredClone(doc);
    misspelt.services.chartmine.build = { ...server.build, dockerfile_inlin: server.build?.dockerfile_inline };
    expect(validate(misspelt)).toBe(false);
    expect(validate.errors?.some((e) => e.params && 'additionalProperty' in e.params)).toBe(true);
  });

  test('needs Compose v2 (name, dockerfile_inline), which the README says', () => {
    expect(compose).toMatch(/^name: chartmine$/m);
    expect(compose).toMatch(/dockerfile_inline:/);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/Compose v2/);
  });

  test('the image caps glibc malloc arenas, which the README measures (tens of MB per process)', () => {
    expect(compose).toMatch(/^\s+ENV MALLOC_ARENA_MAX=2$/m);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/MALLOC_ARENA_MAX=2/);
  });

  test('every path the image copies is in the repository and in the build context', () => {
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n'));
    const paths = copiedPaths();
    expect(paths.length).toBeGreaterThan(3);
    for (const path of paths) {
      const present = tracked.has(path) || [...tracked].some((f) => f.startsWith(`${path}/`));
      expect(present, `${path} is copied but not in the repository`).toBe(true);
      expect(ignore.includes(path), `${path} is copied but .dockerignore excludes it`).toBe(false);
    }
  });

  test("the image copies the files package.json's install scripts run (npm ci runs postinstall before the sources are copied)", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const run = ['preinstall', 'install', 'postinstall'].flatMap((name) => [...(scripts[name] ?? '').matchAll(/\bnode\s+(\S+)/g)].map((m) => m[1]));
    expect(run).toContain('scripts/patch-medplum-core.mjs');
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const beforeInstall = compose.slice(0, compose.indexOf('RUN npm ci'));
    const copied = [...beforeInstall.matchAll(/^\s+COPY\s+(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
    for (const file of run) expect(copied, `${file} runs during npm ci but is copied after it`).toContain(file);
  });

  test('.dockerignore keeps node_modules, build output, git history and .env out of the context', () => {
    for (const entry of ['node_modules', 'dist', '.git', '.env']) expect(ignore, entry).toContain(entry);
  });
});
