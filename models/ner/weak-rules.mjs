// Weak labels from Chartmine's own rule + terminology pipeline (needs `npm run build`):
//   node models/ner/weak-rules.mjs [--work models/ner/work] [--max 12000]
// Reads WORK/weak-candidates.jsonl (written by weak.py: training-split sentences only) and writes
// WORK/weak-rules.jsonl in the same format as weak-train.jsonl. problem -> PROBLEM, medication and allergy
// substance -> DRUG, measurement -> TEST on the name part only ("BP 121/85" -> "BP").
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const { values } = parseArgs({ options: { work: { type: 'string', default: path.join(here, 'work') }, max: { type: 'string', default: '12000' } } });
const { createRulePipeline } = await import(path.join(root, 'dist/src/nlp/pipeline.js'));
const { loadTerminologyIndex } = await import(path.join(root, 'dist/src/terminology/load-index.js'));
const { splitWords } = await import(path.join(root, 'dist/src/nlp/ner/words.js'));
const pipeline = createRulePipeline({ terminology: await loadTerminologyIndex() });

let seed = 5;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const out = [];
const counts = { PROBLEM: 0, DRUG: 0, TEST: 0 };
let withEntities = 0;
for (const line of readFileSync(path.join(values.work, 'weak-candidates.jsonl'), 'utf8').split('\n')) {
  if (!line) continue;
  const { text, source } = JSON.parse(line);
  const { mentions } = await pipeline.analyze(text);
  const ents = [];
  for (const m of mentions) {
    let { start, end } = m.span;
    let label;
    if (m.kind === 'problem') label = 'PROBLEM';
    else if (m.kind === 'medication' || m.kind === 'allergy') label = 'DRUG';
    else if (m.kind === 'measurement') {
      label = 'TEST';
      const words = splitWords(text, start, end);
      const cut = words.findIndex((w) => /^\d/.test(text.slice(w.start, w.end)));
      const name = (cut < 0 ? words : words.slice(0, cut)).filter((w) => /[\p{L}\p{N}]/u.test(text.slice(w.start, w.end)));
      if (name.length === 0) continue;
      start = name[0].start;
      end = name[name.length - 1].end;
    } else continue;
    if (ents.some((e) => e[0] < end && start < e[1])) continue;
    ents.push([start, end, label]);
  }
  ents.sort((a, b) => a[0] - b[0]);
  if (ents.length === 0 && rand() > 0.33) continue;
  if (ents.length) withEntities++;
  for (const e of ents) counts[e[2]]++;
  out.push(JSON.stringify({ text, entities: ents, source: source.replace('weak-', 'weak-rules-') }));
  if (out.length >= Number(values.max)) break;
}
writeFileSync(path.join(values.work, 'weak-rules.jsonl'), out.join('\n') + '\n');
console.log(`weak-rules sentences ${out.length} (${withEntities} with entities), entities ${JSON.stringify(counts)}`);
