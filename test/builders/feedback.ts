/** Builders for synthetic patient feedback (never real feedback). */
import type { Communication, DocumentReference, QuestionnaireResponse, QuestionnaireResponseItem } from '@medplum/fhirtypes';
import { CHARTMINE_CODES } from '../../src/fhir/naming.js';
import { aNote } from './note.js';

/**
 * A completed survey answered by the patient.
 * @param items - the answers.
 * @param subject - the patient.
 * @returns the QuestionnaireResponse.
 */
export function aSurveyResponse(items: QuestionnaireResponseItem[], subject = 'Patient/fb-patient'): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    status: 'completed',
    subject: { reference: subject },
    source: { reference: subject },
    authored: '2026-11-02T09:00:00Z',
    item: items,
  };
}

/**
 * A portal message from the patient.
 * @param text - the message.
 * @param subject - the patient.
 * @returns the Communication.
 */
export function aPatientMessage(text: string, subject = 'Patient/fb-patient'): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: subject },
    sender: { reference: subject },
    sent: '2026-11-03T12:00:00Z',
    payload: [{ contentString: text }],
  };
}

/**
 * A feedback document (type: Chartmine's `patient-feedback`).
 * @param text - its text.
 * @param subject - the patient.
 * @returns the DocumentReference.
 */
export function aFeedbackDocument(text: string, subject = 'Patient/fb-patient'): DocumentReference {
  return {
    ...aNote({ text, subject }),
    type: { coding: [{ system: CHARTMINE_CODES, code: 'patient-feedback', display: 'Patient feedback' }] },
  };
}
