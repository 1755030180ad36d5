/**
 * Patient-feedback sentiment: the port both the lexicon baseline and the shipped transformers.js classifier
 * implement. Pure types; the model edge lives in its own loader.
 */

/** The three polarity classes, in the order of `SentimentScores`. */
export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** Side-effect severity classes (druglib's five grades). */
export const SEVERITY_LABELS = ['none', 'mild', 'moderate', 'severe', 'extremely-severe'] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

/** Probabilities that sum to 1 (a lexicon baseline reports a calibrated-looking split of its score). */
export type SentimentScores = Readonly<Record<SentimentLabel, number>>;

/** What a classifier says about one text. */
export interface SentimentResult {
  readonly label: SentimentLabel;
  readonly scores: SentimentScores;
  /** Side-effect severity when the classifier predicts it (the model does; the lexicon baseline may not). */
  readonly severity?: SeverityLabel;
}

/** A sentiment classifier: a name and version for Provenance, and a batch call. Texts never leave the process. */
export interface SentimentClassifier {
  /** e.g. `chartmine-sentiment` or `chartmine-sentiment-lexicon`. */
  readonly name: string;
  readonly version: string;
  /**
   * Classifies a batch of texts.
   * @param texts - non-empty texts (callers skip empty ones with a reason).
   * @returns one result per text, in order.
   */
  classify(texts: readonly string[]): Promise<SentimentResult[]>;
}
