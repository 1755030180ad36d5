import { expect, test } from 'vitest';
import type { Bundle, Device } from '@medplum/fhirtypes';
import { runCli } from '../../test/support/cli.js';
import { CHARTMINE_VERSION } from '../version.js';

test('bench and extract report the same pipeline version, from one source', async () => {
  const env = { NER_MODEL: 'none' };
  const bench = await runCli(['bench', '--stage', 'extract', '--notes', '2', '--json'], env);
  expect(bench.code, bench.err).toBe(0);
  const benchVersion = (JSON.parse(bench.out) as { settings: { pipelineVersion: string } }).settings.pipelineVersion;
  expect(benchVersion.startsWith(`${CHARTMINE_VERSION}+`)).toBe(true);

  const extract = await runCli(['extract', '--ndjson'], env, 'Asthma.');
  expect(extract.code, extract.err).toBe(0);
  const device = (JSON.parse(extract.out) as Bundle).entry?.find((e) => e.resource?.resourceType === 'Device')?.resource as Device;
  expect(device.version?.map((v) => v.value)).toContain(benchVersion);
});
