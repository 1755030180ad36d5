import { describe, expect, test } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  test('defaults are safe and complete', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      fhir: { kind: 'embedded' },
      workers: 2,
      notifySecret: undefined,
      logLevel: 'info',
      maxDocumentBytes: 2 * 1024 * 1024,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('FHIR_BASE_URL selects an external server and gets a trailing slash', () => {
    const config = loadConfig({ FHIR_BASE_URL: 'https://fhir.example.org/R4' });
    expect(config.fhir).toEqual({ kind: 'external', baseUrl: 'https://fhir.example.org/R4/', timeoutMs: 30_000 });
  });

  test('empty strings count as unset', () => {
    expect(loadConfig({ PORT: '', FHIR_BASE_URL: '' }).fhir.kind).toBe('embedded');
  });

  test('invalid values fail naming every bad variable, never echoing a value', () => {
    const secret = 'short-secret';
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', WORKERS: '-1', REDIS_URL: 'not a url', NOTIFY_SECRET: secret, LOG_LEVEL: 'loud' });
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'WORKERS', 'REDIS_URL', 'NOTIFY_SECRET', 'LOG_LEVEL']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain(secret);
    expect(message).not.toContain('not a url');
  });

  test('MAX_DOCUMENT_BYTES has a floor', () => {
    expect(() => loadConfig({ MAX_DOCUMENT_BYTES: '10' })).toThrow(/MAX_DOCUMENT_BYTES/);
    expect(loadConfig({ MAX_DOCUMENT_BYTES: '65536' }).maxDocumentBytes).toBe(65536);
  });
});

describe('ingest and external FHIR server settings', () => {
  test('polling, catch-up and rate limit', () => {
    const config = loadConfig({ POLL_INTERVAL: '30s', POLL_QUERY: 'type=http://loinc.org|11506-3&status=current', CATCH_UP_SINCE: '2026-01-01T00:00:00Z' });
    expect(config.ingest).toEqual({
      secretHeader: 'authorization',
      rateLimitPerMinute: 600,
      pollIntervalMs: 30_000,
      pollQuery: 'type=http://loinc.org|11506-3&status=current',
      catchUpSince: '2026-01-01T00:00:00Z',
    });
    expect(loadConfig({ POLL_INTERVAL: '5m' }).ingest.pollIntervalMs).toBe(300_000);
    expect(loadConfig({ POLL_INTERVAL: '45' }).ingest.pollIntervalMs).toBe(45_000);
    expect(loadConfig({ NOTIFY_SECRET_HEADER: 'X-Chartmine-Secret' }).ingest.secretHeader).toBe('x-chartmine-secret');
  });

  test('bad polling settings are refused', () => {
    expect(() => loadConfig({ POLL_INTERVAL: 'soon' })).toThrow(/POLL_INTERVAL/);
    expect(() => loadConfig({ POLL_INTERVAL: '10ms' })).toThrow(/POLL_INTERVAL/);
    expect(() => loadConfig({ POLL_QUERY: '_sort=-_lastUpdated' })).toThrow(/POLL_QUERY/);
    expect(() => loadConfig({ POLL_QUERY: '?status=current' })).toThrow(/POLL_QUERY/);
    expect(() => loadConfig({ CATCH_UP_SINCE: 'yesterday' })).toThrow(/CATCH_UP_SINCE/);
  });

  test('FETCH_ALLOWLIST is a list of origins', () => {
    expect(loadConfig({ FETCH_ALLOWLIST: 'https://files.example.org, http://blobs:9000' }).fetchAllowlist).toEqual([
      'https://files.example.org',
      'http://blobs:9000',
    ]);
    expect(loadConfig({}).fetchAllowlist).toEqual([]);
    expect(() => loadConfig({ FETCH_ALLOWLIST: 'https://files.example.org/some/path' })).toThrow(/FETCH_ALLOWLIST/);
    expect(() => loadConfig({ FETCH_ALLOWLIST: 'file:///etc' })).toThrow(/FETCH_ALLOWLIST/);
  });

  test('external server authentication: one kind at a time, complete, never echoed', () => {
    const base = { FHIR_BASE_URL: 'https://fhir.example.org/R4' };
    expect(loadConfig(base).fhirAuth).toEqual({ kind: 'none' });
    expect(loadConfig({ ...base, FHIR_TOKEN: 'tok' }).fhirAuth).toEqual({ kind: 'bearer', token: 'tok' });
    expect(
      loadConfig({ ...base, FHIR_CLIENT_ID: 'cm', FHIR_CLIENT_SECRET: 'sec', FHIR_TOKEN_URL: 'https://auth.example.org/token' }).fhirAuth
    ).toEqual({ kind: 'client-credentials', clientId: 'cm', clientSecret: 'sec', tokenUrl: 'https://auth.example.org/token', scope: undefined });
    expect(loadConfig({ ...base, FHIR_CLIENT_ID: 'cm', FHIR_PRIVATE_KEY: '/keys/cm.pem', FHIR_KEY_ID: 'k1' }).fhirAuth).toMatchObject({
      kind: 'smart-backend',
      privateKeyPath: '/keys/cm.pem',
      keyId: 'k1',
      tokenUrl: undefined,
    });
    const secret = 'very-secret-value';
    const attempts: Record<string, string>[] = [
      { FHIR_TOKEN: secret }, // no FHIR_BASE_URL
      { ...base, FHIR_TOKEN: secret, FHIR_CLIENT_ID: 'cm', FHIR_CLIENT_SECRET: 'x', FHIR_TOKEN_URL: 'https://a/t' },
      { ...base, FHIR_CLIENT_SECRET: secret },
      { ...base, FHIR_CLIENT_ID: 'cm', FHIR_CLIENT_SECRET: secret },
      { ...base, FHIR_CLIENT_ID: 'cm', FHIR_PRIVATE_KEY: '/k.pem' },
      { ...base, FHIR_CLIENT_ID: 'cm' },
    ];
    for (const env of attempts) {
      let message = '';
      try {
        loadConfig(env);
      } catch (err: unknown) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/FHIR_/);
      expect(message).not.toContain(secret);
    }
  });

  test('API_TOKEN needs 16 characters', () => {
    expect(() => loadConfig({ API_TOKEN: 'short' })).toThrow(/API_TOKEN/);
    expect(loadConfig({ API_TOKEN: 'a-long-enough-api-token' }).apiToken).toBe('a-long-enough-api-token');
  });
});

describe('FHIR mapping variables', () => {
  test('defaults: confirmed, no historical clinical status, hypothetical not written, uncoded written, preliminary skipped, AuditEvents on', () => {
    const config = loadConfig({});
    expect(config.mapping).toEqual({ verificationAffirmed: 'confirmed', historicalClinicalStatus: 'unknown', writeHypothetical: false, writeUncoded: true });
    expect(config.processPreliminary).toBe(false);
    expect(config.auditEvents).toBe(true);
  });

  test('site choices are read and checked', () => {
    const config = loadConfig({ VERIFICATION_AFFIRMED: 'unconfirmed', HISTORICAL_CLINICAL_STATUS: 'resolved', WRITE_HYPOTHETICAL: 'true', WRITE_UNCODED: '0', PROCESS_PRELIMINARY: '1', AUDIT_EVENTS: 'false' });
    expect(config.mapping).toEqual({ verificationAffirmed: 'unconfirmed', historicalClinicalStatus: 'resolved', writeHypothetical: true, writeUncoded: false });
    expect(config.processPreliminary).toBe(true);
    expect(config.auditEvents).toBe(false);
    expect(() => loadConfig({ VERIFICATION_AFFIRMED: 'maybe' })).toThrow(/VERIFICATION_AFFIRMED/);
    expect(() => loadConfig({ WRITE_HYPOTHETICAL: 'yes' })).toThrow(/WRITE_HYPOTHETICAL/);
  });

  test('NER threads: one inference thread with 1 intra-op thread by default; 0 runs in-process', () => {
    expect(loadConfig({}).ner).toMatchObject({ inferenceThreads: 1, threads: 1 });
    expect(loadConfig({ NER_INFERENCE_THREADS: '0' }).ner).toMatchObject({ inferenceThreads: 0, threads: 1 });
    expect(loadConfig({ NER_INFERENCE_THREADS: '4', NER_THREADS: '2' }).ner).toMatchObject({ inferenceThreads: 4, threads: 2 });
    expect(() => loadConfig({ NER_INFERENCE_THREADS: '-1' })).toThrow(/NER_INFERENCE_THREADS/);
  });
});
