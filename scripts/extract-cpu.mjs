// Usage: node scripts/extract-cpu.mjs [ROOT] [NOTES]   (ROOT: a built checkout, default the current directory)
// `bench --stage extract --corpus mtsamples --notes N` as a function call, with the process's CPU time (user + system,
// every thread, 3 warm-up notes included) around it: the same measure for builds that predate `cpuMsPerNote`, so a
// branch point and a branch can be compared side by side. NO_SKIP=1 turns sentence skipping off (where it exists).
import { resolve } from 'node:path';
const root = process.argv[2] ?? process.cwd();
const n = Number(process.argv[3] ?? 300);
const data = process.env.MTSAMPLES ?? resolve('../shared/data/mtsamples/mtsamples.csv.gz'); // before chdir: beside this checkout
process.chdir(root);
const { loadConfig } = await import(`${root}/dist/src/config/config.js`);
const { loadPipeline } = await import(`${root}/dist/src/pipeline-loader.js`);
const { readMtsamplesNotes } = await import(`${root}/dist/src/nlp/testing/mtsamples.js`);
const { benchInProcess } = await import(`${root}/dist/src/bench/bench.js`);
const texts = readMtsamplesNotes(data).map((x) => x.text).filter((t) => t.trim().length > 0).slice(0, n);
const pipeline = await loadPipeline(loadConfig(process.env), {}, process.env.NO_SKIP ? { nerSkipSentences: false } : {});
const cpu = process.cpuUsage();
const r = await benchInProcess(texts, pipeline, 1);
const used = process.cpuUsage(cpu);
const cpuMsPerNote = Math.round(((used.user + used.system) / 1000 / r.notes) * 100) / 100;
console.log(JSON.stringify({ root, pipelineVersion: r.settings.pipelineVersion, notes: r.notes, notesPerSecond: r.notesPerSecond, p50Ms: r.p50Ms, p95Ms: r.p95Ms, cpuMsPerNote }));
