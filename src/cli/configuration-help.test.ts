import { describe, expect, test } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { CONFIG_VARIABLES } from '../config/config.js';

/** The variables a help text names in its `Environment:` block. */
function variablesIn(help: string): string[] {
  const block = help.slice(help.indexOf('Environment:'));
  return CONFIG_VARIABLES.filter((v) => new RegExp(`\\b${v}\\b`).test(block));
}

describe('each command\'s --help lists the settings it reads', () => {
  test('serve lists every setting', async () => {
    const { out } = await runCli(['serve', '--help']);
    expect(variablesIn(out).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  test('worker: FHIR_BASE_URL is required; nothing of notifications or polling; HTTP only for its /metrics', async () => {
    const { out } = await runCli(['worker', '--help']);
    expect(out).toMatch(/FHIR_BASE_URL\s+required/);
    expect(out).not.toMatch(/unset: the embedded store/);
    for (const v of ['PORT', 'PUBLIC_URL', 'NOTIFY_SECRET', 'NOTIFY_RATE_LIMIT', 'API_TOKEN', 'POLL_INTERVAL', 'CATCH_UP_SINCE', 'ADMIN_TOKEN']) {
      expect(variablesIn(out), v).not.toContain(v);
    }
    for (const v of ['REDIS_URL', 'WORKERS', 'NER_MODEL', 'TERMINOLOGY_DIR', 'FHIR_TOKEN', 'SHUTDOWN_GRACE', 'HOST', 'METRICS_PORT', 'METRICS_TOKEN', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
      expect(variablesIn(out), v).toContain(v);
    }
  });

  test('check and reprocess list only what they connect to', async () => {
    const check = variablesIn((await runCli(['check', '--help'])).out);
    expect(check.sort()).toEqual(
      ['REDIS_URL', 'FHIR_BASE_URL', 'FHIR_TIMEOUT_MS', 'FHIR_TOKEN', 'FHIR_CLIENT_ID', 'FHIR_CLIENT_SECRET', 'FHIR_TOKEN_URL', 'FHIR_PRIVATE_KEY', 'FHIR_KEY_ID', 'FHIR_SCOPE'].sort()
    );
    const reprocess = variablesIn((await runCli(['reprocess', '--help'])).out);
    expect(reprocess.sort()).toEqual(['REDIS_URL', 'QUEUE_PREFIX', 'QUEUE_NAMESPACE', 'FHIR_BASE_URL', 'PORT', 'FHIR_TIMEOUT_MS'].sort());
  });
});
