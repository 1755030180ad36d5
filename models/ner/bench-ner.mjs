// Throughput and memory of the shipped NER model through the serving code (dist build):
//   npm run build && node models/ner/bench-ner.mjs [--model chartmine-ner] [--dtype q8|fp32] [--threads 2]
//     [--batch 16] [--data ../shared/data] [--notes 1000]
// Reports MTSamples notes/s (evaluation split, note_id % 5 == 0; whole notes, sentences split by the fallback
// splitter), sentences/s, and RSS before/after loading and the peak (VmHWM).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'chartmine-ner' },
    dtype: { type: 'string', default: 'q8' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '16' },
    data: { type: 'string', default: path.join(root, '..', 'shared', 'data') },
    notes: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '2' },
  },
});
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const hwmMb = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1e3);

function parseCsv(text) {
  const rows = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"') { if (text[i + 1] === '"') { field += '"'; i++; } else q = false; } else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

const csv = parseCsv(gunzipSync(readFileSync(path.join(values.data, 'mtsamples', 'mtsamples.csv.gz'))).toString('utf8'));
const head = csv[0];
const idCol = head.indexOf('note_id'), txCol = head.indexOf('transcription');
const notes = csv.slice(1).filter((r) => Number(r[idCol]) % 5 === 0 && r[txCol]?.trim()).map((r) => r[txCol])
  .slice(0, Number(values.notes));

const baseRss = rssMb();
const { loadNerModel } = await import(path.join(root, 'dist/src/nlp/ner/load-ner-model.js'));
const { splitSentenceSpans } = await import(path.join(root, 'dist/src/nlp/ner/words.js'));
const afterImport = rssMb();
let t = performance.now();
const model = await loadNerModel({ modelsDir: path.join(root, 'models'), model: values.model, dtype: values.dtype,
  threads: Number(values.threads), batchSize: Number(values.batch) });
const loadMs = performance.now() - t;
const afterLoad = rssMb();
const sentences = notes.reduce((n, x) => n + splitSentenceSpans(x).length, 0);
const chars = notes.reduce((n, x) => n + x.length, 0);
const runs = [];
for (let r = 0; r < Number(values.repeat); r++) {
  t = performance.now();
  let spans = 0;
  // One note at a time (the worker's case); sentences of a note are batched together.
  for (const note of notes) spans += (await model.recognize(note)).length;
  const s = (performance.now() - t) / 1000;
  runs.push({ seconds: +s.toFixed(2), notesPerSecond: +(notes.length / s).toFixed(1), sentencesPerSecond: Math.round(sentences / s), spans });
}
const best = runs.reduce((a, b) => (b.notesPerSecond > a.notesPerSecond ? b : a));
console.log(JSON.stringify({
  model: model.info, dtype: values.dtype, threads: Number(values.threads), batch: Number(values.batch),
  notes: notes.length, sentences, avgNoteChars: Math.round(chars / notes.length), loadMs: Math.round(loadMs),
  rssMb: { bare: baseRss, afterImport, afterLoad, peak: hwmMb(), addedByModelPeak: hwmMb() - baseRss },
  runs, best,
}, null, 1));
await model.close();
