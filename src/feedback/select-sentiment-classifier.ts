/**
 * Picks the patient-feedback sentiment classifier SENTIMENT_MODEL names, once per worker process:
 * - `lexicon` (default for now): the hand-written baseline, deterministic and fast;
 * - `chartmine-sentiment`: the trained transformers.js model (wired by the model's loader; not in this build yet:
 *   a configuration error, exit 78, rather than a silent fall-back to the lexicon);
 * - `none`: no classifier — feedback jobs are still queued (nothing is lost) but no worker consumes them.
 */
import type { Config } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { createLexiconSentimentClassifier } from './lexicon-sentiment.js';
import type { SentimentClassifier } from './sentiment.js';

/**
 * Loads the configured classifier.
 * @param config - `sentimentModel` and `modelsDir`.
 * @returns the classifier, or `undefined` for `none`.
 * @throws ConfigError when the configured model cannot be used.
 */
export async function selectSentimentClassifier(config: Pick<Config, 'sentimentModel' | 'modelsDir'>): Promise<SentimentClassifier | undefined> {
  switch (config.sentimentModel) {
    case 'none':
      return undefined;
    case 'lexicon':
      return Promise.resolve(createLexiconSentimentClassifier());
    case 'chartmine-sentiment':
      throw new ConfigError('SENTIMENT_MODEL: chartmine-sentiment is not in this build (use lexicon or none)');
  }
}
