/**
 * Throughput of the feedback pipeline in-process (no Redis, no FHIR server): the classifier on a batch, then the note
 * pipeline (medications, side effects) and the Observation mapping per item — what a feedback job spends between
 * reading its source and writing. Run: `node dist/src/bench/feedback-throughput.js [TSV] [N]`, where TSV is a druglib
 * file (its commentsReview column is used; use the training file, never the test split to tune anything).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/config.js';
import { selectSentimentClassifier } from '../feedback/select-sentiment-classifier.js';
import { mapFeedback, type FeedbackVersion } from '../feedback/map-feedback.js';
import { classifyItems } from '../jobs/analyze-feedback.job.js';
import { loadPipeline } from '../pipeline-loader.js';

/** The `commentsReview` texts of a druglib TSV (quoted fields may span lines). */
export function readDruglibComments(tsv: string): string[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < tsv.length; i++) {
    const ch = tsv[i];
    if (quoted) {
      if (ch === '"' && tsv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === '\t') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  const header = rows.shift() ?? [];
  const column = header.indexOf('commentsReview');
  return rows.map((r) => r[column] ?? '').filter((t) => /[\p{L}\p{N}]/u.test(t));
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? '../shared/data/druglib-reviews/drugLibTrain_raw.tsv';
  const count = Number(process.argv[3] ?? '500');
  const texts = readDruglibComments(readFileSync(file, 'utf8')).slice(0, count);
  const config = loadConfig();
  const nlp = await loadPipeline(config);
  const classifier = await selectSentimentClassifier(config);
  if (!classifier) throw new Error('SENTIMENT_MODEL=none');
  const source: FeedbackVersion = { id: 'bench', versionId: '1', subject: { reference: 'Patient/bench' }, attachmentPath: 'Communication', status: 'current' };
  const items = texts.map((text, i) => ({ key: `payload-${i}`, path: `Communication.payload[${i}].contentString`, text }));
  await classifyItems(items.slice(0, 10), { nlp, classifier }); // warm-up
  const started = performance.now();
  const classified = await classifyItems(items, { nlp, classifier });
  const mapped = mapFeedback(source, classified, 'bench');
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ classifier: `${classifier.name}@${classifier.version}`, items: mapped.length, seconds: Math.round(seconds * 100) / 100, itemsPerSecond: Math.round(mapped.length / seconds) })}\n`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`feedback-throughput: ${err instanceof Error ? err.message : 'failed'}\n`);
    process.exit(1);
  });
}
