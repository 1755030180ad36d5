// Usage (repository root, after npm run build; Redis on REDIS_URL): node scripts/measure-rss.mjs [NOTES] [--default] [--gc]
//   split (default): serve (WORKERS=0, STORE=memory) + 2 `chartmine worker` processes (WORKERS=2 each).
//   --default:       one serve process (STORE=memory) with its in-process workers (WORKERS unset: the default, 2).
// POSTs N MTSamples notes, waits until every note has its AuditEvent, then reads VmRSS (and its anonymous and
// file-backed parts: shared libraries count in every process) and PSS of each process; also the peak of the sum, sampled
// once a second, and each process's RSS after 20 s of quiet (`settledMb`). `idleMb` is each process's RSS before the
// first note (start-up, models and indexes loaded). RSS_PORT moves the server's port; MTSAMPLES the notes file.
//   --gc: the processes preload scripts/gc-on-sigusr2.cjs; at the end of the burst each gets SIGUSR2 (two full
//         GCs, heap before/after on stderr), so `settledMb` is RSS 5 s after a full GC rather than after idling.
import { spawn, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const root = process.cwd();
const { readMtsamplesNotes } = await import(root + '/dist/src/nlp/testing/mtsamples.js');
const args = process.argv.slice(2);
const single = args.includes('--default');
const withGc = args.includes('--gc');
const N = Number(args.find((a) => !a.startsWith('--')) ?? 300);
const PORT = Number(process.env.RSS_PORT ?? 18931);
const prefix = `rss-${Date.now()}`;
const base = { ...process.env, LOG_LEVEL: 'warn', QUEUE_PREFIX: prefix, QUEUE_NAMESPACE: 'rss' };
if (withGc) base.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} -r ${root}/scripts/gc-on-sigusr2.cjs`.trim();
const serveEnv = { ...base, PORT: String(PORT), STORE: 'memory', ...(single ? {} : { WORKERS: '0' }) };
if (single) delete serveEnv.WORKERS;
const serve = spawn('node', ['dist/src/cli.js', 'serve'], { cwd: root, env: serveEnv, stdio: 'inherit' });
const fhir = `http://127.0.0.1:${PORT}/fhir/R4/`;
for (let i = 0; i < 120; i++) { try { if ((await fetch(fhir + 'metadata')).ok) break; } catch {} await new Promise((r) => setTimeout(r, 500)); }
const workers = single ? [] : [1, 2].map(() => spawn('node', ['dist/src/cli.js', 'worker'], { cwd: root, env: { ...base, FHIR_BASE_URL: fhir, WORKERS: '2' }, stdio: 'inherit' }));
const procs = [serve, ...workers];
const names = single ? ['serve'] : ['serve', 'worker1', 'worker2'];
const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const kb = (s, field) => Number(s.match(new RegExp(`${field}:\\s+(\\d+)`))[1]) / 1024;
const rss = (pid) => kb(status(pid), 'VmRSS');
// Until each process's RSS has been steady for 3 s (models and indexes loaded), at most 60 s.
let last = procs.map(() => 0);
for (let i = 0, steady = 0; i < 60 && steady < 3; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  const now = procs.map((p) => rss(p.pid));
  steady = now.every((v, k) => Math.abs(v - last[k]) < 2) ? steady + 1 : 0;
  last = now;
}
const idle = Object.fromEntries(names.map((n, k) => [n, Math.round(rss(procs[k].pid))]));
const texts = readMtsamplesNotes(process.env.MTSAMPLES ?? '../shared/data/mtsamples/mtsamples.csv.gz').map((n) => n.text).filter((t) => t.trim()).slice(0, N);
const t0 = Date.now();
for (const text of texts) {
  await fetch(fhir + 'DocumentReference', { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/bench' }, content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text).toString('base64') } }] }) });
}
let peak = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 1000));
  const total = procs.reduce((a, p) => a + rss(p.pid), 0);
  peak = Math.max(peak, total);
  const prov = await (await fetch(fhir + 'AuditEvent?_count=0&_total=accurate')).json();
  if ((prov.total ?? 0) >= N || Date.now() - t0 > 600000) break;
}
const seconds = (Date.now() - t0) / 1000;
// PSS: each page shared between processes (Node's binary, onnxruntime's library, the model file) counted once in all,
// split among the processes that map it; the sum of PSS is what the set-up takes from the machine, while the sum of
// RSS counts those pages once per process.
const pss = (pid) => kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
const detail = () => Object.fromEntries(names.map((n, k) => { const s = status(procs[k].pid); return [n, { rss: Math.round(kb(s, 'VmRSS')), anon: Math.round(kb(s, 'RssAnon')), file: Math.round(kb(s, 'RssFile')), pss: Math.round(pss(procs[k].pid)) }]; }));
const sumOf = (d, key = 'rss') => Object.values(d).reduce((a, x) => a + x[key], 0);
const done = detail();
if (withGc) {
  for (const p of procs) process.kill(p.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 5000));
}
// Then idle for SETTLE_S seconds (default 20; 0 with --gc): V8's memory reducer runs full GCs and shrinks the young generation
// once allocation stops, so this is what the processes keep between bursts; the number at the end of the burst
// depends on where each heap was in its GC cycle.
await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_S ?? (withGc ? 0 : 20)) * 1000));
const settled = detail();
console.log(JSON.stringify({ mode: single ? 'default (serve, WORKERS=2)' : 'split (serve WORKERS=0 + 2 workers)', gc: withGc, notes: N, seconds, idleMb: idle, rssMb: done, sumMb: sumOf(done), pssSumMb: sumOf(done, 'pss'), peakSumMb: Math.round(peak), settledMb: settled, settledSumMb: sumOf(settled), settledPssSumMb: sumOf(settled, 'pss'), ner: process.env.NER_MODEL ?? 'shipped', nerThreads: process.env.NER_THREADS ?? 'default' }));
for (const p of [...workers, serve]) p.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 3000));
try { execSync(`redis-cli --scan --pattern '${prefix}*' | xargs -r redis-cli del >/dev/null`); } catch {}
process.exit(0);
