import { describe, expect, test } from 'vitest';
import type { Bundle, Observation, Provenance } from '@medplum/fhirtypes';
import { runCli } from '../../test/support/cli.js';
import { EXIT_CONFIG } from './dispatch.js';

describe('chartmine sentiment', () => {
  test('plain text: one Observation with the polarity, the medication and the side effect, a Provenance and the Device', async () => {
    const c = await runCli(['sentiment', '--subject', 'Patient/p9'], {}, 'The lisinopril made me dizzy and I feel terrible.');
    expect(c.code, c.err).toBe(0);
    const bundle = JSON.parse(c.out) as Bundle;
    const observations = bundle.entry?.map((e) => e.resource).filter((r): r is Observation => r?.resourceType === 'Observation') ?? [];
    expect(observations).toHaveLength(1);
    expect(observations[0].valueCodeableConcept?.text).toBe('negative');
    expect(observations[0].subject?.reference).toBe('Patient/p9');
    expect(JSON.stringify(observations[0].component)).toContain('404640003');
    const provenance = bundle.entry?.find((e) => e.resource?.resourceType === 'Provenance')?.resource as Provenance;
    expect(provenance.entity?.[0]?.what?.reference).toMatch(/^DocumentReference\/text-[0-9a-f]+\/_history\/1$/);
    expect(JSON.stringify(bundle)).toContain('chartmine-sentiment-lexicon');
  });

  test('a QuestionnaireResponse: empty and non-text answers are warnings with their reason, never text', async () => {
    const qr = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      subject: { reference: 'Patient/p1' },
      item: [
        { linkId: 'a', answer: [{ valueString: '...' }, { valueInteger: 3 }] },
        { linkId: 'b', answer: [{ valueString: 'Great staff, quick appointment.' }] },
      ],
    };
    const c = await runCli(['sentiment', '-'], {}, JSON.stringify(qr));
    expect(c.code, c.err).toBe(0);
    expect(c.err).toContain('1 item(s) skipped: empty-text');
    expect(c.err).toContain('1 item(s) skipped: not-text');
    const obs = (JSON.parse(c.out) as Bundle).entry?.filter((e) => e.resource?.resourceType === 'Observation') ?? [];
    expect(obs.map((e) => (e.resource as Observation).valueCodeableConcept?.text)).toEqual(['positive']);
  });

  test('another resource type is one line and exit 1; an unknown SENTIMENT_MODEL is a configuration error (78); chartmine-sentiment classifies with the shipped model', async () => {
    const bad = await runCli(['sentiment'], {}, '{"resourceType":"Patient"}');
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    const unknown = await runCli(['sentiment'], { SENTIMENT_MODEL: 'no-such-model' }, 'fine');
    expect(unknown.code).toBe(EXIT_CONFIG);
    expect(unknown.err).toContain('SENTIMENT_MODEL');
    const model = await runCli(['sentiment'], { SENTIMENT_MODEL: 'chartmine-sentiment', NER_MODEL: 'none' }, 'This drug was useless and made me sick.');
    expect(model.code).toBe(0);
    expect(model.out).toContain('chartmine-sentiment@');
    expect(model.out).not.toContain('chartmine-sentiment-lexicon');
  });
});
