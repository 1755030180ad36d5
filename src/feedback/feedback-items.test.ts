import { describe, expect, test } from 'vitest';
import type { Communication, QuestionnaireResponse } from '@medplum/fhirtypes';
import { countSkipped, readCommunicationItems, readDocumentItems, readQuestionnaireItems } from './feedback-items.js';
import { isFeedbackDocument, notFeedbackReason } from './feedback-source.js';
import { CHARTMINE_CODES } from '../fhir/naming.js';

describe('feedback items', () => {
  test('QuestionnaireResponse: free-text answers depth first with linkId paths; empty and non-text answers skipped with a reason', () => {
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      item: [
        { linkId: 'a', answer: [{ valueString: 'Too long a wait.' }, { valueInteger: 3 }] },
        { linkId: 'g', item: [{ linkId: 'g.1', answer: [{ valueString: '--' }, { valueString: 'Kind nurse', item: [{ linkId: 'why', answer: [{ valueString: 'She listened' }] }] }] }] },
        { linkId: 'c', answer: [{ valueCoding: { code: 'x' } }, {}] },
      ],
    };
    const { items, skipped } = readQuestionnaireItems(qr);
    expect(items.map((i) => [i.key, i.linkId, i.path, i.text])).toEqual([
      ['a#0', 'a', 'QuestionnaireResponse.item[0].answer[0].valueString', 'Too long a wait.'],
      ['g/g.1#1', 'g.1', 'QuestionnaireResponse.item[1].item[0].answer[1].valueString', 'Kind nurse'],
      ['g/g.1#1/why#0', 'why', 'QuestionnaireResponse.item[1].item[0].answer[1].item[0].answer[0].valueString', 'She listened'],
    ]);
    expect(skipped).toEqual([
      { path: 'QuestionnaireResponse.item[0].answer[1]', reason: 'not-text' },
      { path: 'QuestionnaireResponse.item[1].item[0].answer[0].valueString', reason: 'empty-text' },
      { path: 'QuestionnaireResponse.item[2].answer[0]', reason: 'not-text' },
      { path: 'QuestionnaireResponse.item[2].answer[1]', reason: 'empty-text' },
    ]);
    expect(countSkipped(skipped)).toEqual({ 'not-text': 2, 'empty-text': 2 });
  });

  test('Communication: contentString and inline text/plain attachments; other payloads skipped', () => {
    const comm: Communication = {
      resourceType: 'Communication',
      status: 'completed',
      payload: [
        { contentString: 'The new pills upset my stomach.' },
        { contentAttachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from('Thanks for the call').toString('base64') } },
        { contentAttachment: { contentType: 'image/png', data: 'AAAA' } },
        { contentReference: { reference: 'DocumentReference/1' } },
      ],
    };
    const { items, skipped } = readCommunicationItems(comm);
    expect(items.map((i) => [i.path, i.text])).toEqual([
      ['Communication.payload[0].contentString', 'The new pills upset my stomach.'],
      ['Communication.payload[1].contentAttachment', 'Thanks for the call'],
    ]);
    expect(skipped.map((s) => s.reason)).toEqual(['not-text', 'not-text']);
  });

  test('a feedback document is one item; a blank one is skipped', () => {
    expect(readDocumentItems('Fine.', 'DocumentReference.content[0].attachment').items).toHaveLength(1);
    expect(readDocumentItems(' \n ', 'DocumentReference.content[0].attachment').skipped).toEqual([{ path: 'DocumentReference.content[0].attachment', reason: 'empty-text' }]);
  });
});

describe('what counts as patient feedback', () => {
  const feedbackType = { coding: [{ system: CHARTMINE_CODES, code: 'patient-feedback' }] };

  test('a DocumentReference only with the patient-feedback type or category', () => {
    expect(isFeedbackDocument({ type: feedbackType })).toBe(true);
    expect(isFeedbackDocument({ category: [feedbackType] })).toBe(true);
    expect(isFeedbackDocument({ type: { coding: [{ system: 'http://loinc.org', code: '11506-3' }] } })).toBe(false);
  });

  test('a QuestionnaireResponse answered by the patient (or with no author), not by a clinician', () => {
    const qr: QuestionnaireResponse = { resourceType: 'QuestionnaireResponse', status: 'completed' };
    expect(notFeedbackReason(qr)).toBeUndefined();
    expect(notFeedbackReason({ ...qr, source: { reference: 'Patient/1' } })).toBeUndefined();
    expect(notFeedbackReason({ ...qr, author: { reference: 'RelatedPerson/2' } })).toBeUndefined();
    expect(notFeedbackReason({ ...qr, author: { reference: 'Practitioner/3' } })).toBe('not-patient-authored');
  });

  test('a Communication sent by the patient, or categorised as patient feedback', () => {
    const comm: Communication = { resourceType: 'Communication', status: 'completed' };
    expect(notFeedbackReason({ ...comm, sender: { reference: 'Patient/1' } })).toBeUndefined();
    expect(notFeedbackReason({ ...comm, sender: { reference: 'Practitioner/1' } })).toBe('not-patient-authored');
    expect(notFeedbackReason({ ...comm, sender: { reference: 'Organization/1' }, category: [feedbackType] })).toBeUndefined();
  });
});
