import { parseArgs } from 'node:util';
import { buildDefaultIndex } from '../terminology/build/build-default.js';
import { MissingInputError } from '../terminology/build/read-files.js';
import { importReleases } from '../terminology/import/run-import.js';
import { DEFAULT_TERMINOLOGY_DIR, loadTerminologyIndex } from '../terminology/load-index.js';
import { measureIndex } from '../terminology/measure.js';
import type { CliCommand, CliIo } from './command.js';
import { readAll, UsageError } from './command.js';

/** Default data directory: the shared folder beside a developer's checkout. */
const DEFAULT_DATA_DIR = '../shared/data';

const HELP = [
  'Usage: chartmine terminology <build|import|info|match> [options]',
  '',
  '  build  [--data DIR] [--out DIR]   rebuild the shipped index from the open sources in DIR',
  `                                    (default ${DEFAULT_DATA_DIR}) and models/terminology/curated`,
  '  import --out DIR [--snomed DIR] [--snomed-icd10cm] [--rxnorm DIR] [--loinc FILE] [--loinc-lang LIST]',
  '         [--icd10cm FILE] [--name NAME] [--version VERSION]',
  '                                    import licensed releases (any subset) into an index in DIR:',
  '                                    SNOMED CT RF2 snapshot folder, RxNorm RRF folder, Loinc.csv (with',
  '                                    linguistic variants when present), ICD-10-CM order file',
  '  info   [--dir DIR] [--json]       load an index; print name, version, sha256, counts, load time,',
  '                                    memory and look-up latency',
  '  match  [--dir DIR]                read text on stdin, print the matches as JSON lines',
  '',
  `DIR defaults to the shipped index (${DEFAULT_TERMINOLOGY_DIR}).`,
].join('\n');

/** `chartmine terminology …`: build, import, inspect and try the terminology index. */
export const terminologyCommand: CliCommand = {
  name: 'terminology',
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      switch (sub) {
        case 'build':
          return await runBuild(rest, io);
        case 'import':
          return await runImport(rest, io);
        case 'info':
          return await runInfo(rest, io);
        case 'match':
          return await runMatch(rest, io);
        default:
          throw new UsageError(sub ? `unknown sub-command '${sub}'` : 'which sub-command?');
      }
    } catch (err: unknown) {
      if (err instanceof MissingInputError) {
        io.stderr.write(`chartmine terminology: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

async function runBuild(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { data: { type: 'string', default: DEFAULT_DATA_DIR }, out: { type: 'string', default: DEFAULT_TERMINOLOGY_DIR } },
  });
  const started = Date.now();
  const report = await buildDefaultIndex({
    dataDir: String(values.data),
    outDir: String(values.out),
    onProgress: (m) => io.stderr.write(`${m}\n`),
  });
  io.stdout.write(
    `${report.index.path}: ${report.index.concepts} concepts, ${report.index.terms} term keys, ` +
      `${report.index.bytes} bytes, sha256 ${report.index.sha256} (${Date.now() - started} ms)\n`
  );
  return 0;
}

async function runInfo(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { dir: { type: 'string', default: DEFAULT_TERMINOLOGY_DIR }, json: { type: 'boolean', default: false } },
  });
  const m = await measureIndex(String(values.dir));
  if (values.json) {
    io.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    [
      `index        ${m.name} ${m.version}`,
      `sha256       ${m.sha256}`,
      `concepts     ${m.stats.concepts} (${Object.entries(m.stats.conceptsBySystem).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      `term keys    ${m.stats.terms} exact, ${m.stats.wordOrderKeys} word-order`,
      `load         ${m.loadMs.toFixed(0)} ms (median of ${m.loadRuns}), heap +${m.heapMiB.toFixed(1)} MiB, rss ${m.rssMiB.toFixed(0)} MiB`,
      `lookup       ${m.lookupMicros.toFixed(2)} µs per code look-up, ${m.lookupTermMicros.toFixed(2)} µs per term look-up`,
      `match        ${m.matchMicrosPerChar.toFixed(3)} µs per character of text`,
      '',
    ].join('\n')
  );
  return 0;
}

async function runMatch(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { dir: { type: 'string', default: DEFAULT_TERMINOLOGY_DIR } } });
  const index = await loadTerminologyIndex(String(values.dir));
  const text = await readAll(io.stdin);
  for (const m of index.match(text)) {
    io.stdout.write(
      `${JSON.stringify({ start: m.start, end: m.end, text: text.slice(m.start, m.end), kind: m.kind, score: m.score, id: m.concept.id, group: m.concept.group, codings: m.concept.codings })}\n`
    );
  }
  return 0;
}

/**
 * Parses `chartmine terminology import` arguments and runs the import.
 * @param args - arguments after `import`.
 * @param io - streams.
 * @returns the exit code.
 */
async function runImport(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      snomed: { type: 'string' },
      'snomed-icd10cm': { type: 'boolean', default: false },
      'language-refset': { type: 'string' },
      rxnorm: { type: 'string' },
      loinc: { type: 'string' },
      'loinc-lang': { type: 'string' },
      icd10cm: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
    },
  });
  if (!values.out) throw new UsageError('--out DIR is required');
  if (!values.snomed && !values.rxnorm && !values.loinc && !values.icd10cm) {
    throw new UsageError('give at least one of --snomed, --rxnorm, --loinc, --icd10cm');
  }
  const started = Date.now();
  const result = await importReleases({
    out: values.out,
    snomed: values.snomed,
    snomedIcd10cm: values['snomed-icd10cm'],
    languageRefset: values['language-refset'],
    rxnorm: values.rxnorm,
    loinc: values.loinc,
    loincLanguages: values['loinc-lang']?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    icd10cm: values.icd10cm,
    name: values.name,
    version: values.version,
    onProgress: (m) => io.stderr.write(`${m}\n`),
  });
  io.stdout.write(
    `${result.path}: ${result.concepts} concepts, ${result.terms} term keys, ${result.bytes} bytes, sha256 ${result.sha256} ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s, peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)\n`
  );
  return 0;
}
