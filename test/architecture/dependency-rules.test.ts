/**
 * The architecture rules of STYLE.md, checked on the source: pure folders import no edges, ingest never reaches the
 * NLP, only `config/` reads the environment, no module imports itself in a circle, and each process loads only what
 * its command needs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = resolve(fileURLToPath(new URL('../../src', import.meta.url)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC);
const rel = (path: string): string => relative(SRC, path).replaceAll('\\', '/');
const code = new Map(files.map((f) => [rel(f), readFileSync(f, 'utf8')]));

/** Module specifiers a file imports (static imports and re-exports; type-only imports included). */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

/** A relative specifier in `file` resolved to the `src/`-relative path of its `.ts` file. */
const resolveLocal = (file: string, spec: string): string => rel(resolve(SRC, dirname(file), spec.replace(/\.js$/, '.ts')));

/** Local imports resolved to `src/`-relative paths of their `.ts` files. */
function localImports(file: string): string[] {
  return importsOf(code.get(file) ?? '')
    .filter((s) => s.startsWith('.'))
    .map((s) => resolveLocal(file, s));
}

/** The only files of the pure core that may import transformers.js: the offline model lookup and the NER loader. */
const MODEL_LOADERS = ['nlp/ner/load-ner-model.ts', 'nlp/local-model.ts'];

const EDGE_PACKAGES = ['express', 'bullmq', 'ioredis', 'pino', 'pino-http', '@huggingface/transformers'];

describe('dependency direction', () => {
  test('the pure core (nlp, terminology, provenance) imports no edge package; only the model loaders load models', () => {
    const offenders: string[] = [];
    for (const [file, source] of code) {
      if (!/^(nlp|terminology|provenance)\//.test(file)) continue;
      for (const spec of importsOf(source)) {
        const edge = EDGE_PACKAGES.find((p) => spec === p || spec.startsWith(`${p}/`));
        if (edge && !(edge === '@huggingface/transformers' && MODEL_LOADERS.includes(file))) {
          offenders.push(`${file} imports ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  test('ingest never imports the NLP or the jobs (no NLP inside a request)', () => {
    const offenders = [...code.keys()]
      .filter((f) => f.startsWith('ingest/'))
      .flatMap((f) => localImports(f).filter((i) => /^(nlp|jobs)\//.test(i)).map((i) => `${f} imports ${i}`));
    expect(offenders).toEqual([]);
  });

  test('only config/ reads the environment (cli.ts hands process.env to the commands)', () => {
    const readers = [...code.entries()]
      .filter(([f, s]) => /process\.env/.test(s) && !f.startsWith('config/') && f !== 'cli.ts')
      .map(([f]) => f);
    expect(readers).toEqual([]);
  });

  test('no circular imports between modules', () => {
    const graph = new Map([...code.keys()].map((f) => [f, localImports(f).filter((i) => code.has(i))]));
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'visiting');
      stack.push(f);
      for (const next of graph.get(f) ?? []) {
        if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});

/**
 * What loading a module loads with it: its static imports that are not type-only (TypeScript erases those), followed
 * through `src/`. Dynamic `import()` is where a command defers a dependency, so it is not followed.
 * @param entry - a `src/`-relative module.
 * @returns the `src/` modules and the packages (bare specifiers; `node:` built-ins left out) it loads.
 */
function loadedWith(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    modules.add(file);
    const source = code.get(file);
    expect(source, `${file} exists`).toBeDefined();
    for (const m of (source ?? '').matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(resolveLocal(file, spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(entry);
  return { modules, packages };
}

describe('what each process loads', () => {
  test('`chartmine` itself (--help, --version, dispatch) loads no command and no library', () => {
    const { modules, packages } = loadedWith('cli.ts');
    expect([...modules].filter((f) => f.endsWith('.command.ts'))).toEqual([]);
    expect([...packages]).toEqual([]);
  });

  test('`chartmine worker` loads no server part: no HTTP app, embedded store, reviewer or admin pages, eval, bench', () => {
    const { modules, packages } = loadedWith('cli/worker.command.ts');
    expect(modules.has('worker-runtime.ts')).toBe(true);
    expect(modules.has('pipeline-loader.ts')).toBe(true);
    const serverParts = ['runtime.ts', 'http/app.ts', 'http/admin.routes.ts', 'review/review-service.ts'];
    expect([...modules].filter((f) => serverParts.includes(f) || /^(embedded|eval|bench)\//.test(f))).toEqual([]);
    const server = ['express', '@bull-board/api', '@bull-board/express', '@medplum/fhir-router', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http'];
    expect([...packages].filter((p) => server.includes(p))).toEqual([]);
  });

  test('`chartmine serve` loads the pipeline and the model runtime only when it runs workers (dynamic imports)', () => {
    const { packages } = loadedWith('cli/serve.command.ts');
    expect(packages.has('express')).toBe(true);
    expect(packages.has('@huggingface/transformers')).toBe(false);
  });
});
