/**
 * Picks the patient-feedback sentiment classifier SENTIMENT_MODEL names, once per worker process:
 * - `lexicon` (default for now): the hand-written baseline, deterministic and fast;
 * - `chartmine-sentiment`: the trained transformers.js model shipped in `models/chartmine-sentiment` (int8), loaded
 *   offline; a missing or damaged model stops start-up rather than falling back to the lexicon silently;
 * - `none`: no classifier — feedback jobs are still queued (nothing is lost) but no worker consumes them.
 */
import type { Config } from '../config/config.js';
import { createLexiconSentimentClassifier } from './lexicon-sentiment.js';
import type { SentimentClassifier } from './sentiment.js';

/**
 * Loads the configured classifier.
 * @param config - `sentimentModel` and `modelsDir`.
 * @returns the classifier, or `undefined` for `none`.
 * @throws ModelError when the configured model cannot be loaded.
 */
export async function selectSentimentClassifier(config: Pick<Config, 'sentimentModel' | 'modelsDir'>): Promise<SentimentClassifier | undefined> {
  switch (config.sentimentModel) {
    case 'none':
      return undefined;
    case 'lexicon':
      return Promise.resolve(createLexiconSentimentClassifier());
    case 'chartmine-sentiment':
      // Imported here: a process on the lexicon never loads the model runtime for it.
      return (await import('./sentiment-model.js')).loadSentimentModel({ modelsDir: config.modelsDir });
  }
}
