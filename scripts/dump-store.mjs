// Dumps what the embedded store holds after a fixed piece of work, to compare two builds' output byte for byte:
//   NER_MODEL=none node scripts/dump-store.mjs <worktree> <out.txt> [notes=120]
// It imports <worktree>/dist (build it first), starts the server there (STORE=memory, Redis from REDIS_URL), POSTs
// the first N MTSamples notes, waits for the queue to drain, POSTs 10 successors (relatesTo replaces notes 0-9),
// waits, writes a new version of notes 5-9 (their jobs find the successor and retract), waits, then writes every
// version of every resource, one resource a line, ids and timestamps replaced, sorted. Prints counts and a hash.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
const root = process.argv[2]; const out = process.argv[3]; const n = Number(process.argv[4] ?? 120);
const imp = (p) => import(`${root}/dist/src/${p}`);
const { loadConfig } = await imp('config/config.js');
const { startServer } = await imp('runtime.js');
const { loadPipeline } = await imp('pipeline-loader.js');
const { createLogger } = await imp('observability/logger.js');
const { readMtsamplesNotes } = await imp('nlp/testing/mtsamples.js');
const { toTextNote } = await imp('jobs/extract-note.js');
const texts = readMtsamplesNotes(`${root}/../shared/data/mtsamples/mtsamples.csv.gz`).map((x) => x.text).filter((t) => t.trim()).slice(0, n);
const config = loadConfig({ ...process.env, PORT: '0', QUEUE_PREFIX: `dump-${Date.now()}`, LOG_LEVEL: 'silent', STORE: 'memory' });
const handle = await startServer(config, createLogger('silent'), (edges) => loadPipeline(config, edges));
const base = `${handle.url}/fhir/R4`;
let pending = 0; let completed = 0; let failed = 0;
handle.worker.worker.on('completed', () => completed++); handle.worker.worker.on('failed', () => failed++);
const idle = async () => { for (;;) { await new Promise((r) => setTimeout(r, 300)); const c = await handle.producer.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'); if (Object.values(c).every((x) => x === 0)) { await new Promise((r) => setTimeout(r, 500)); const c2 = await handle.producer.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'); if (Object.values(c2).every((x) => x === 0)) return; } } };
const post = async (body) => (await (await fetch(`${base}/DocumentReference`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body) })).json());
const notes = [];
for (let i = 0; i < texts.length; i += 8) notes.push(...(await Promise.all(texts.slice(i, i + 8).map((t) => post({ ...toTextNote(t, 'Patient/bench'), id: undefined, meta: undefined })))));
await idle();
// successors replacing notes 0..4, then new versions of notes 5..9 after successors for them exist
for (let i = 0; i < 10; i++) await post({ ...toTextNote(texts[(i + 1) % texts.length], 'Patient/bench'), id: undefined, meta: undefined, relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${notes[i].id}` } }] });
await idle();
for (let i = 5; i < 10; i++) { const cur = await (await fetch(`${base}/DocumentReference/${notes[i].id}`)).json(); await fetch(`${base}/DocumentReference/${cur.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ ...cur, description: 'edited' }) }); }
await idle();
const ids = new Set(); const rows = [];
const state = [...handle.store.repo.exportState()];
for (const s of state) ids.add(s.id);
const idRe = new RegExp([...ids].sort((a, b) => b.length - a.length).map((x) => x.replace(/[.]/g, '\\.')).join('|'), 'g');
const norm = (r) => JSON.stringify(r).replace(idRe, 'ID').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, 'TS');
for (const s of state) rows.push(`${s.resourceType} deleted=${s.deleted} versions=${s.versions.length} ${s.versions.map(norm).join(' | ')}`);
rows.sort();
fs.writeFileSync(out, rows.join('\n') + '\n');
const counts = {}; for (const s of state) counts[s.resourceType] = (counts[s.resourceType] ?? 0) + 1;
console.log(JSON.stringify({ completed, failed, resources: state.length, counts, sha: createHash('sha256').update(rows.join('\n')).digest('hex').slice(0, 16) }));
await handle.producer.queue.obliterate({ force: true });
await handle.close();
process.exit(0);
