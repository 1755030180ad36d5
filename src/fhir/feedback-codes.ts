/**
 * Chartmine's codes for patient-feedback sentiment (in `CodeSystem-chartmine`): the Observation code, the three
 * polarity values, the component codes, side-effect severity and the `patient-feedback` document type. Pure.
 */

/** A code with its display and definition. */
export interface FeedbackConcept {
  readonly code: string;
  readonly display: string;
  readonly definition: string;
}

const c = (code: string, display: string, definition: string): FeedbackConcept => ({ code, display, definition });

/** The concepts, by role. */
export const FEEDBACK_CONCEPTS = {
  patientFeedback: c(
    'patient-feedback',
    'Patient feedback',
    'DocumentReference type or Communication category: free-text feedback from a patient (survey comment, portal message, medication review).'
  ),
  feedbackSentiment: c('feedback-sentiment', 'Patient feedback sentiment', 'Observation code: the polarity of one patient-feedback item.'),
  negative: c('sentiment-negative', 'Negative', 'Sentiment value: the feedback is negative.'),
  neutral: c('sentiment-neutral', 'Neutral', 'Sentiment value: the feedback is neither clearly negative nor positive.'),
  positive: c('sentiment-positive', 'Positive', 'Sentiment value: the feedback is positive.'),
  scoreNegative: c('sentiment-score-negative', 'Negative sentiment score', 'Observation component: the classifier\'s probability (0..1) of negative.'),
  scoreNeutral: c('sentiment-score-neutral', 'Neutral sentiment score', 'Observation component: the classifier\'s probability (0..1) of neutral.'),
  scorePositive: c('sentiment-score-positive', 'Positive sentiment score', 'Observation component: the classifier\'s probability (0..1) of positive.'),
  mentionedMedication: c('mentioned-medication', 'Mentioned medication', 'Observation component: a medication the feedback is about (RxNorm).'),
  reportedSideEffect: c(
    'reported-side-effect',
    'Reported side effect',
    'Observation component: a symptom the feedback reports in an item that names a medication (SNOMED CT).'
  ),
  reportedSymptom: c('reported-symptom', 'Reported symptom', 'Observation component: a symptom the feedback reports, no medication named (SNOMED CT).'),
  sideEffectSeverity: c('side-effect-severity', 'Side-effect severity', 'Observation component: the side-effect severity the classifier predicts.'),
  severityNone: c('severity-none', 'No side effects', 'Side-effect severity: none.'),
  severityMild: c('severity-mild', 'Mild side effects', 'Side-effect severity: mild.'),
  severityModerate: c('severity-moderate', 'Moderate side effects', 'Side-effect severity: moderate.'),
  severitySevere: c('severity-severe', 'Severe side effects', 'Side-effect severity: severe.'),
  severityExtremelySevere: c('severity-extremely-severe', 'Extremely severe side effects', 'Side-effect severity: extremely severe.'),
} as const;
