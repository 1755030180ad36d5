/**
 * PHI stays in a job's memory: a sentinel string inside a note must never reach a log line (at debug level),
 * a job payload, a job result or a failed job's reason in Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SENTINEL = 'ZQXJ-Sentinel-Patient-Name';
const lines: string[] = [];
let app: TestServer;

beforeAll(async () => {
  const log = createLogger('trace', { write: (line: string) => void lines.push(line) });
  app = await startTestServer({ pipeline: realPipeline, log });
});

afterAll(async () => {
  await app?.close();
});

async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const values: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') values.push((await redis.get(key)) ?? '');
      else if (type === 'list') values.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') values.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'stream') values.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    return values.join('\n');
  } finally {
    redis.disconnect();
  }
}

test('note text never reaches logs, job payloads, results or failure reasons', async () => {
  // One note that is analysed and written, one that fails permanently (unsupported content), one refused at the door.
  await app.request('POST', '/fhir/R4/DocumentReference', aNote({ text: `${SENTINEL} reports chest pain; hypertension. BP 150/90` }));
  await app.request('POST', '/fhir/R4/DocumentReference', {
    ...aNote({ text: SENTINEL }),
    content: [{ attachment: { contentType: `application/x-${SENTINEL}`, data: Buffer.from(SENTINEL).toString('base64') } }],
  });
  const refused = await app.request('POST', '/notify', `{"resourceType":"DocumentReference","id":"${SENTINEL}"`);
  expect(refused.status).toBe(400);
  await app.idle();

  const counts = await app.handle.producer.queue.getJobCounts('completed', 'failed');
  expect(counts).toEqual({ completed: 1, failed: 1 });
  expect(lines.length).toBeGreaterThan(5);
  expect(lines.some((l) => l.includes('"note analyzed"'))).toBe(true);
  expect(lines.join('\n').toLowerCase()).not.toContain(SENTINEL.toLowerCase());
  const dump = await redisDump(app.prefix);
  expect(dump).toContain('unsupported-content');
  expect(dump.toLowerCase()).not.toContain(SENTINEL.toLowerCase());
});
