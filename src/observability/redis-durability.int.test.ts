/**
 * Redis persistence and eviction are checked at start-up (issue 12 item 6): against the real Redis of the test run,
 * what is reported is what `CONFIG GET` says; a user without CONFIG (as on managed Redis) gives `unknown` and a
 * warning, not a crash.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import { TEST_REDIS_URL } from '../../test/support/redis.js';
import { assessRedisDurability, readRedisDurability, UNKNOWN } from './redis-durability.js';

const admin = new Redis(TEST_REDIS_URL);
afterAll(() => admin.disconnect());

describe('Redis durability check', () => {
  test('warns when appendonly is off or eviction is on, and only then', () => {
    expect(assessRedisDurability('yes', '', 'noeviction')).toEqual([]);
    expect(assessRedisDurability('no', '', 'noeviction')).toEqual([expect.stringContaining('no persistence')]);
    expect(assessRedisDurability('no', '3600 1', 'noeviction')).toEqual([expect.stringContaining('appendonly is off')]);
    expect(assessRedisDurability('yes', '', 'allkeys-lru')).toEqual([expect.stringContaining('maxmemory-policy is allkeys-lru')]);
    expect(assessRedisDurability(UNKNOWN, UNKNOWN, UNKNOWN)).toEqual([expect.stringContaining('CONFIG is not available')]);
  });

  test('reports what the real Redis is set to', async () => {
    const [, appendonly] = (await admin.config('GET', 'appendonly')) as string[];
    const [, policy] = (await admin.config('GET', 'maxmemory-policy')) as string[];
    const report = await readRedisDurability(admin);
    expect(report).toMatchObject({ appendonly, maxmemoryPolicy: policy });
    expect(report.warnings.length > 0).toBe(appendonly !== 'yes' || policy !== 'noeviction');
  });

  test('a user who may not run CONFIG gets unknown and a warning', async () => {
    const user = `test-noconfig-${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all', '-config');
    const limited = new Redis(TEST_REDIS_URL, { username: user, password });
    try {
      const report = await readRedisDurability(limited);
      expect(report).toMatchObject({ appendonly: UNKNOWN, save: UNKNOWN, maxmemoryPolicy: UNKNOWN });
      expect(report.warnings).toEqual([expect.stringContaining('CONFIG is not available')]);
    } finally {
      limited.disconnect();
      await admin.call('ACL', 'DELUSER', user);
    }
  });
});
