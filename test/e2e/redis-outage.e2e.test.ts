/**
 * Redis going away under a running server: the log says so once (then at a slow interval, not per reconnect of
 * every connection), says when it is back, and the server still stops promptly while Redis is down.
 * Uses a Redis of its own on a free port, so it can be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RedisStatus } from '../../src/queue/connection.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type ServerHandle } from '../../src/runtime.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  redis.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!out.includes('Ready to accept connections')) {
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return redis;
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) return;
  redis.kill('SIGKILL');
  await once(redis, 'exit');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('while Redis is down', () => {
  let redis: ChildProcess | undefined;
  let handle: ServerHandle | undefined;
  afterAll(async () => {
    await handle?.close(0).catch(() => undefined);
    if (redis) await stopRedis(redis);
  });

  test('the outage is logged once and its end once; SIGTERM-style close takes seconds, not the grace', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const lines: Array<{ msg: string; level: number }> = [];
    const log = createLogger('debug', { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string; level: number }) });
    const config = loadConfig({ PORT: '0', WORKERS: '2', REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: 'outage-test', STORE: 'memory' });
    handle = await startServer(config, log, async () => scriptedPipeline());
    // Start-up ends with the Redis durability check (read in the background; its warning about this throwaway Redis
    // without persistence is a start-up line, not part of the outage).
    const startupDeadline = Date.now() + 10_000;
    for (;;) {
      const ready = (await (await fetch(`${handle.url}/readyz`)).json()) as { details?: { redis?: { appendonly?: string } } };
      if (ready.details?.redis?.appendonly !== 'checking') break;
      if (Date.now() > startupDeadline) throw new Error('the Redis durability check did not finish');
      await sleep(50);
    }

    const downFrom = lines.length;
    await stopRedis(redis);
    await sleep(8_000); // dozens of reconnect attempts of each of the four connections
    const whileDown = lines.slice(downFrom).filter((l) => l.level >= 40);
    const messages = JSON.stringify(whileDown.map((l) => l.msg));
    expect(whileDown.filter((l) => l.msg === 'redis unavailable'), messages).toHaveLength(1);
    // Besides the state change, at most the first failure of the catch-up's retry loop.
    expect(whileDown.filter((l) => l.msg !== 'redis unavailable' && l.msg !== 'catch-up state unavailable, will retry'), messages).toEqual([]);
    expect(whileDown.filter((l) => l.msg === 'catch-up state unavailable, will retry').length, messages).toBeLessThanOrEqual(1);

    redis = await startRedis(port);
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.msg === 'redis available again') && Date.now() < deadline) await sleep(100);
    expect(lines.filter((l) => l.msg === 'redis available again')).toHaveLength(1);

    await stopRedis(redis);
    await sleep(1_000);
    const started = Date.now();
    await handle.close(25_000);
    handle = undefined;
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);
});

describe('RedisStatus', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

  test('reminds at the interval while down, counting failures; other errors are the caller\'s', () => {
    const logged: Array<[string, Record<string, unknown>]> = [];
    let now = 0;
    const status = new RedisStatus(
      { warn: (f, m) => void logged.push([m, f]), info: (f, m) => void logged.push([m, f]) },
      60_000,
      () => now
    );
    for (; now < 150_000; now += 200) expect(status.failed('worker', refused)).toBe(true);
    expect(logged.map(([m]) => m)).toEqual(['redis unavailable', 'redis still unavailable', 'redis still unavailable']);
    expect(status.failed('worker', new Error('ERR wrong number of arguments'))).toBe(false);
    status.recovered();
    expect(logged.at(-1)?.[0]).toBe('redis available again');
    expect(logged.at(-1)?.[1]).toMatchObject({ downMs: 150_000, failures: 750 });
    expect(status.isDown).toBe(false);
  });
});
