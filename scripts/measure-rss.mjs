// Usage (repository root, after npm run build; Redis on REDIS_URL): node scripts/measure-rss.mjs [NOTES]
// serve (WORKERS=0, STORE=memory) + 2 `chartmine worker` processes; POST N notes; wait until the queue drains; sum RSS.
import { spawn, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const root = process.cwd();
const { readMtsamplesNotes } = await import(root + '/dist/src/nlp/testing/mtsamples.js');
const N = Number(process.argv[2] ?? 300);
const PORT = 18931;
const prefix = `rss-${Date.now()}`;
const base = { ...process.env, LOG_LEVEL: 'warn', QUEUE_PREFIX: prefix, QUEUE_NAMESPACE: 'rss' };
const serve = spawn('node', ['dist/src/cli.js', 'serve'], { cwd: root, env: { ...base, PORT: String(PORT), WORKERS: '0', STORE: 'memory' }, stdio: 'inherit' });
const fhir = `http://127.0.0.1:${PORT}/fhir/R4/`;
for (let i = 0; i < 120; i++) { try { if ((await fetch(fhir + 'metadata')).ok) break; } catch {} await new Promise((r) => setTimeout(r, 500)); }
const workers = [1, 2].map(() => spawn('node', ['dist/src/cli.js', 'worker'], { cwd: root, env: { ...base, FHIR_BASE_URL: fhir, WORKERS: '2' }, stdio: 'inherit' }));
await new Promise((r) => setTimeout(r, 15000));
const texts = readMtsamplesNotes(process.env.MTSAMPLES ?? '../shared/data/mtsamples/mtsamples.csv.gz').map((n) => n.text).filter((t) => t.trim()).slice(0, N);
const t0 = Date.now();
for (const text of texts) {
  await fetch(fhir + 'DocumentReference', { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/bench' }, content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text).toString('base64') } }] }) });
}
const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
let peak = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 1000));
  const total = rss(serve.pid) + workers.reduce((a, w) => a + rss(w.pid), 0);
  peak = Math.max(peak, total);
  const prov = await (await fetch(fhir + 'AuditEvent?_count=0&_total=accurate')).json();
  if ((prov.total ?? 0) >= N || Date.now() - t0 > 300000) break;
}
const parts = [serve, ...workers].map((p) => rss(p.pid).toFixed(0));
console.log(JSON.stringify({ notes: N, seconds: (Date.now() - t0) / 1000, rssMb: { serve: parts[0], worker1: parts[1], worker2: parts[2], sum: parts.reduce((a, b) => a + Number(b), 0) }, peakSumMb: Math.round(peak), ner: process.env.NER_MODEL ?? 'shipped', nerThreads: process.env.NER_THREADS ?? 'default' }));
for (const p of [...workers, serve]) p.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 3000));
try { execSync(`redis-cli --scan --pattern '${prefix}*' | xargs -r redis-cli del >/dev/null`); } catch {}
process.exit(0);
