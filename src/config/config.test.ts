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
