/** `chartmine eval bc5cdr`: strict entity P/R/F1 of the NER model on BC5CDR (Disease → PROBLEM, Chemical → DRUG). */
import { runIobSuite } from './iob-ner.js';
import type { EvalSuite } from './suite.js';

/** Published BC5CDR test F1 (%) to print beside ours. */
export const BC5CDR_PUBLISHED = [
  { system: 'scispaCy en_ner_bc5cdr_md', category: 'overall', f1: 84.28 },
  { system: 'BioBERT', category: 'Disease', f1: 84.7 },
  { system: 'PubMedBERT', category: 'Disease', f1: 85.6 },
  { system: 'BioBERT', category: 'Chemical', f1: 92.9 },
  { system: 'PubMedBERT', category: 'Chemical', f1: 93.3 },
] as const;

export const bc5cdrSuite: EvalSuite = {
  name: 'bc5cdr',
  summary: 'NER model on BC5CDR (official test split; --split devel, --model, --dtype q8|fp32, --threads)',
  run: ({ dataDir, args }) =>
    runIobSuite(
      {
        suite: 'bc5cdr',
        folder: 'BC5CDR-IOB',
        types: [
          { type: 'Disease', label: 'PROBLEM' },
          { type: 'Chemical', label: 'DRUG' },
        ],
        published: BC5CDR_PUBLISHED,
      },
      dataDir,
      args
    ),
};
