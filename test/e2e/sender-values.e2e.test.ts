/**
 * Values a sender controls (an attachment's charset parameter, a resourceType, a path) never come back in failure
 * reasons, the queue's Redis keys, `chartmine jobs failed` or the logs: refusals name the field and the rule.
 * Refused requests are one log line with the request id, no stack trace; job logs keep counts and note ids.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { aNote } from '../builders/note.js';
import { runCli } from '../support/cli.js';
import { realPipeline } from '../support/real-pipeline.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SENTINEL = 'QzvxSentinel';
const SECRET = 'sender-values-test-secret-0123456789';
const lines: string[] = [];
let app: TestServer;

beforeAll(async () => {
  const log = createLogger('trace', { write: (line: string) => void lines.push(line) });
  app = await startTestServer({ pipeline: realPipeline, log, env: { NOTIFY_SECRET: SECRET } });
});

afterAll(async () => {
  await app?.close();
});

async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const values: string[] = [];
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      values.push(key);
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

const parsed = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

test('a charset parameter and a resourceType chosen by the sender are named, never echoed', async () => {
  const auth = { Authorization: `Bearer ${SECRET}` };
  const charsetNote = await app.request(
    'POST',
    '/fhir/R4/DocumentReference',
    { ...aNote({ text: 'Asthma.' }), content: [{ attachment: { contentType: `text/plain; charset=x-${SENTINEL}`, data: Buffer.from('Asthma.').toString('base64') } }] },
    { Authorization: `Bearer ${SECRET}` }
  );
  expect(charsetNote.status).toBe(201);
  const unknownType = await app.request('POST', '/notify', { resourceType: `X${SENTINEL}`, id: 'n1' }, auth);
  expect(unknownType.status).toBe(422);
  expect(JSON.stringify(unknownType.body)).toMatch(/resourceType must be DocumentReference, QuestionnaireResponse, Communication or Bundle/);
  const unknownPath = await app.request('PUT', `/notify/X${SENTINEL}/n1`, aNote({ id: 'n1' }), auth);
  expect(unknownPath.status, JSON.stringify(unknownPath.body)).toBe(422);
  expect(JSON.stringify(unknownPath.body)).toMatch(/must name a DocumentReference/);
  await app.idle();

  const counts = await app.handle.producer.queue.getJobCounts('completed', 'failed');
  expect(counts.failed).toBe(1);
  // The jobs live under the test server's queue namespace (its listen address is not the default PORT's).
  const failed = await runCli(['jobs', 'failed'], { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: app.prefix, QUEUE_NAMESPACE: app.handle.queue.namespace });
  expect(failed.code, failed.err).toBe(0);
  expect(failed.out).toMatch(/charset is not one of utf-8/);
  for (const where of [failed.out, lines.join('\n'), await redisDump(app.prefix), JSON.stringify([unknownType.body, unknownPath.body])]) {
    expect(where.toLowerCase()).not.toContain(SENTINEL.toLowerCase());
  }
});

test('a refused notification is one warn line with the request id and no stack trace', async () => {
  const before = lines.length;
  const refused = await app.request('POST', '/notify', aNote({ id: 'n2' }), { Authorization: 'Bearer wrong-secret-0123456789abcdef' });
  expect(refused.status).toBe(401);
  const logged = parsed().slice(before).filter((l) => l.msg === 'request refused');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: 40, status: 401, code: 'unauthorized', path: '/notify' });
  expect(logged[0].requestId).toEqual(expect.any(String));
  expect(JSON.stringify(logged[0])).not.toMatch(/stack|\\n\s+at /);
});

test('job logs keep counts and the note reference; text stays redacted', async () => {
  const created = await app.request<{ id: string }>('POST', '/fhir/R4/DocumentReference', aNote({ text: 'Hypertension. Metformin 500 mg BID.' }), {
    Authorization: `Bearer ${SECRET}`,
  });
  await app.idle();
  const analyzed = parsed().find((l) => l.msg === 'note analyzed' && l.note === `DocumentReference/${created.body.id}`);
  expect(analyzed, 'the job logs its note reference').toBeDefined();
  expect(analyzed?.mentions).toEqual(expect.any(Number));
  expect(analyzed?.mentions).toBeGreaterThan(0);
});
