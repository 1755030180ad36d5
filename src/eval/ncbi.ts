/** `chartmine eval ncbi`: strict entity P/R/F1 of the NER model on NCBI-disease (Disease → PROBLEM). */
import { runIobSuite } from './iob-ner.js';
import type { EvalSuite } from './suite.js';

/** Published NCBI-disease test F1 (%) to print beside ours. */
export const NCBI_PUBLISHED = [
  { system: 'BioBERT', category: 'Disease', f1: 89.1 },
  { system: 'PubMedBERT', category: 'Disease', f1: 87.8 },
] as const;

export const ncbiSuite: EvalSuite = {
  name: 'ncbi',
  summary: 'NER model on NCBI-disease (official test split; --split devel, --model, --dtype q8|fp32, --threads)',
  run: ({ dataDir, args }) =>
    runIobSuite(
      { suite: 'ncbi', folder: 'NCBI-disease-IOB', types: [{ type: 'Disease', label: 'PROBLEM' }], published: NCBI_PUBLISHED },
      dataDir,
      args
    ),
};
