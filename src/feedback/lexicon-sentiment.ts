/**
 * The lexicon baseline for patient-feedback sentiment: a hand-written polarity word list for drug and care reviews,
 * with negation ("not helpful", "no side effects") and intensifiers. Deterministic and fast; `eval sentiment` prints
 * it beside the model so the model's value is visible. Pure.
 */
import type { SentimentClassifier, SentimentLabel, SentimentResult, SentimentScores } from './sentiment.js';

const POSITIVE = new Set(
  `good great excellent wonderful amazing fantastic best better improved improvement improves improve helped helps
  help helpful effective effectively works worked working relief relieved relieves eliminated gone cured resolved
  happy pleased satisfied recommend recommended love loved like liked lifesaver miracle easy comfortable calm
  calmer stable controlled normal fine well tolerable tolerated painless fast quickly quick clear clearer energy
  energetic positive benefit benefits beneficial grateful thankful kind caring friendly attentive professional
  thorough respectful clean efficient prompt reassuring smooth successful success perfect nice superb outstanding`
    .split(/\s+/)
    .filter(Boolean)
);

const NEGATIVE = new Set(
  `bad worse worst terrible horrible awful poor useless ineffective failed fail fails failure nothing waste hate
  hated unbearable intolerable painful pain severe severely nausea nauseous vomiting dizzy dizziness headache
  headaches insomnia fatigue tired exhausted depressed depression anxiety anxious rash itching weight gain
  gained loss hair drowsy drowsiness sick sicker miserable horrendous side-effects stopped quit discontinued
  rude dirty late waited waiting ignored disappointed disappointing unhappy angry frustrated frustrating
  confusing confused wrong mistake error unprofessional dismissive cold slow expensive problem problems
  difficult hard dangerous scary scared afraid suicidal agitated irritable swelling bleeding cramps cramping
  constipation diarrhea dry blurred shaking tremor palpitations hives allergic reaction reactions`
    .split(/\s+/)
    .filter(Boolean)
);

const NEGATORS = new Set(['not', 'no', 'never', "didn't", 'didnt', "doesn't", 'doesnt', "don't", 'dont', "wasn't",
  'wasnt', "isn't", 'isnt', 'without', 'nor', "couldn't", "won't", 'hardly', 'barely', 'none']);
const INTENSIFIERS = new Set(['very', 'extremely', 'really', 'so', 'totally', 'completely', 'highly', 'absolutely', 'incredibly']);
/** Tokens after a negator that a negation reaches. */
const NEGATION_WINDOW = 3;
/** Score per token at which a text stops being neutral. */
const NEUTRAL_BAND = 0.02;

/** Tokens: lower-cased words with inner apostrophes and hyphens. */
function tokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:['-][a-z]+)*/g) ?? [];
}

/**
 * The lexicon polarity of one text: the sum of word polarities (negated words flip and count half, intensified
 * words count 1.5), divided by the square root of the token count.
 * @param text - the text.
 * @returns the normalised score (negative below 0).
 */
export function lexiconPolarity(text: string): number {
  const words = tokens(text);
  let sum = 0;
  let negatedUntil = -1;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (NEGATORS.has(word)) {
      negatedUntil = i + NEGATION_WINDOW;
      continue;
    }
    const polarity = POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
    if (polarity === 0) continue;
    const weight = i > 0 && INTENSIFIERS.has(words[i - 1]) ? 1.5 : 1;
    sum += i <= negatedUntil ? -0.5 * polarity * weight : polarity * weight;
  }
  return words.length === 0 ? 0 : sum / Math.sqrt(words.length);
}

/**
 * Turns a polarity score into three-class probabilities (a logistic split around the neutral band).
 * @param score - the score from `lexiconPolarity`.
 * @returns the label and scores.
 */
export function toLexiconResult(score: number): SentimentResult {
  const positive = 1 / (1 + Math.exp(-(score - NEUTRAL_BAND) * 6));
  const negative = 1 / (1 + Math.exp((score + NEUTRAL_BAND) * 6));
  const neutral = Math.max(0, 1 - positive - negative);
  const total = positive + negative + neutral;
  const scores: SentimentScores = { negative: negative / total, neutral: neutral / total, positive: positive / total };
  const label: SentimentLabel = score > NEUTRAL_BAND ? 'positive' : score < -NEUTRAL_BAND ? 'negative' : 'neutral';
  return { label, scores };
}

/** The lexicon baseline as a `SentimentClassifier`. */
export function createLexiconSentimentClassifier(): SentimentClassifier {
  return {
    name: 'chartmine-sentiment-lexicon',
    version: '1.0.0',
    classify: (texts) => Promise.resolve(texts.map((text) => toLexiconResult(lexiconPolarity(text)))),
  };
}
