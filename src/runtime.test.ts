import { describe, expect, test } from 'vitest';
import { loadConfig } from './config/config.js';
import { securityWarnings } from './runtime.js';

describe('securityWarnings', () => {
  test('loopback: none, whatever is unset', () => {
    expect(securityWarnings(loadConfig({}))).toEqual([]);
    expect(securityWarnings(loadConfig({ HOST: '::1' }))).toEqual([]);
  });

  test('beyond loopback: one warning per unset credential, none when both are set', () => {
    const open = securityWarnings(loadConfig({ HOST: '0.0.0.0' }));
    expect(open).toHaveLength(2);
    expect(open[0]).toMatch(/NOTIFY_SECRET/);
    expect(open[1]).toMatch(/API_TOKEN/);
    expect(securityWarnings(loadConfig({ HOST: '0.0.0.0', NOTIFY_SECRET: 'x'.repeat(32), API_TOKEN: 'y'.repeat(32) }))).toEqual([]);
    // An external FHIR server: there is no embedded store to guard.
    expect(securityWarnings(loadConfig({ HOST: '10.0.0.5', FHIR_BASE_URL: 'https://fhir.example.org/R4', NOTIFY_SECRET: 'x'.repeat(32) }))).toEqual([]);
  });
});
