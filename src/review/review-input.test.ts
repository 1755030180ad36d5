import { describe, expect, test } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { loadConfig } from '../config/config.js';
import { EXIT_CONFIG } from '../cli/dispatch.js';
import { reviewerOf } from './review-auth.js';
import { parseDecisionBody } from './review.routes.js';
import { ReviewRequestError } from './review-service.js';

const TOKEN_A = 'token-of-reviewer-a-0123';
const TOKEN_B = 'token=with=equals-b-0123';

describe('REVIEW_TOKEN', () => {
  test('unset: no reviewers (the page is closed); pairs of reviewer=token, split at the first =', () => {
    expect(loadConfig({}).reviewers).toBeUndefined();
    expect(loadConfig({ REVIEW_TOKEN: ` Practitioner/dr-lee=${TOKEN_A} , alice=${TOKEN_B}` }).reviewers).toEqual([
      { id: 'Practitioner/dr-lee', token: TOKEN_A },
      { id: 'alice', token: TOKEN_B },
    ]);
  });

  test.each([['alice=short'], [`=${TOKEN_A}`], [`alice=${TOKEN_A},alice=${TOKEN_B}`], [`alice=${TOKEN_A},bob=${TOKEN_A}`], [TOKEN_A], [`al ice=${TOKEN_A}`]])(
    'refused, naming the variable but never the value: %s',
    (value) => {
      let message = '';
      try {
        loadConfig({ REVIEW_TOKEN: value });
      } catch (err: unknown) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^invalid configuration: REVIEW_TOKEN: /);
      expect(message).not.toContain(TOKEN_A);
      expect(message).not.toContain('short');
    }
  );

  test('a bad REVIEW_TOKEN stops serve with exit 78 and one line', async () => {
    const run = await runCli(['serve'], { REVIEW_TOKEN: 'alice=short', PORT: '0' });
    expect(run.code).toBe(EXIT_CONFIG);
    expect(run.err.trim().split('\n')).toHaveLength(1);
    expect(run.err).toMatch(/REVIEW_TOKEN/);
  });

  test('a bearer token names its reviewer; anything else names nobody', () => {
    const reviewers = loadConfig({ REVIEW_TOKEN: `Practitioner/dr-lee=${TOKEN_A},alice=${TOKEN_B}` }).reviewers ?? [];
    expect(reviewerOf(`Bearer ${TOKEN_B}`, reviewers)).toEqual({ id: 'alice' });
    expect(reviewerOf(`bearer ${TOKEN_A}`, reviewers)).toEqual({ id: 'Practitioner/dr-lee' });
    for (const header of [undefined, '', TOKEN_A, `Bearer ${TOKEN_A}x`, `Basic ${TOKEN_A}`]) expect(reviewerOf(header, reviewers)).toBeUndefined();
  });
});

describe('parseDecisionBody', () => {
  test('accept, reject, and correct with a code and/or an assertion', () => {
    expect(parseDecisionBody({ versionId: '3', decision: 'reject' })).toEqual({ versionId: '3', decision: { kind: 'reject' } });
    expect(parseDecisionBody({ versionId: '3', decision: 'correct', assertion: 'negated' })).toEqual({ versionId: '3', decision: { kind: 'correct', assertion: 'negated' } });
    expect(parseDecisionBody({ versionId: '3', decision: 'correct', code: { system: 'http://snomed.info/sct', code: '59621000' } }).decision).toEqual({
      kind: 'correct',
      code: { system: 'http://snomed.info/sct', code: '59621000' },
    });
  });

  test.each([
    [{ decision: 'reject' }, 'versionId'],
    [{ versionId: '3', decision: 'delete' }, 'decision'],
    [{ versionId: '3', decision: 'correct' }, 'correct'],
    [{ versionId: '3', decision: 'correct', assertion: 'certain' }, 'assertion'],
    [{ versionId: '3', decision: 'correct', code: { system: 'not a uri', code: 'x' } }, 'code'],
    [{ versionId: '3', decision: 'correct', code: { system: 'http://snomed.info/sct', code: 'x', display: 'y'.repeat(300) } }, 'code.display'],
    [null, 'versionId'],
  ])('400 for %j', (body, field) => {
    let error: unknown;
    try {
      parseDecisionBody(body);
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReviewRequestError);
    expect((error as ReviewRequestError).status).toBe(400);
    expect((error as Error).message.startsWith(field)).toBe(true);
  });
});

describe('start-up warning', () => {
  test('reviewers beyond loopback without an https PUBLIC_URL are warned about; loopback or https are not', async () => {
    const { securityWarnings } = await import('../runtime.js');
    const base = { NOTIFY_SECRET: 'x'.repeat(32), API_TOKEN: 'y'.repeat(32), REVIEW_TOKEN: `alice=${TOKEN_A}` };
    expect(securityWarnings(loadConfig({ ...base, HOST: '0.0.0.0' }))).toEqual([expect.stringMatching(/^SECURITY: \/review .* TLS/)]);
    expect(securityWarnings(loadConfig({ ...base, HOST: '0.0.0.0', PUBLIC_URL: 'https://chartmine.example.org' }))).toEqual([]);
    expect(securityWarnings(loadConfig({ ...base }))).toEqual([]);
    expect(securityWarnings(loadConfig({ ...base, HOST: '0.0.0.0' })).join('')).not.toContain(TOKEN_A);
  });
});
