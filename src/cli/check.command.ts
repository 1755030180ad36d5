import { loadConfig } from '../config/config.js';
import { createFhirClient } from '../fhir/client-factory.js';
import { checkReadiness } from '../observability/health.js';
import { createRedis } from '../queue/connection.js';
import type { CliCommand } from './command.js';
import { assertNoArguments } from './command.js';
import { configurationHelp } from './configuration-help.js';

/** `chartmine check`: validates the configuration and reaches Redis and the FHIR server; exit 0 when all answer. */
export const checkCommand: CliCommand = {
  name: 'check',
  help: [
    'Usage: chartmine check',
    '',
    'Loads the configuration (exit 78 when invalid), pings Redis and, when FHIR_BASE_URL is set, reads the',
    "FHIR server's metadata. Prints one JSON line with each check's result; exit 0 when all pass, 1 otherwise.",
    '',
    configurationHelp('check'),
  ].join('\n'),
  async run(args, io) {
    assertNoArguments(args);
    const config = loadConfig(io.env);
    const fhir = config.fhir;
    const redis = createRedis(config.redisUrl, 'client');
    redis.on('error', () => undefined); // reported through the check result
    try {
      const report = await checkReadiness({
        redis: async () => {
          await redis.ping();
        },
        fhir:
          fhir.kind === 'external'
            ? async () => {
                await (await createFhirClient(config)).checkReachable();
              }
            : undefined,
      });
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return report.status === 'ready' ? 0 : 1;
    } finally {
      redis.disconnect();
    }
  },
};
