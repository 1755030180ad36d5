import type { NextFunction, Request, Response } from 'express';
import { describe, expect, test } from 'vitest';
import { RateLimitedError } from '../errors.js';
import { createRateLimit } from './rate-limit.js';

function call(limit: ReturnType<typeof createRateLimit>, ip: string): { error: unknown; retryAfter: string | undefined } {
  let error: unknown = 'not called';
  const headers: Record<string, string> = {};
  const res = { setHeader: (k: string, v: string) => void (headers[k] = v) } as unknown as Response;
  limit({ socket: { remoteAddress: ip } } as Request, res, ((err?: unknown) => void (error = err)) as NextFunction);
  return { error, retryAfter: headers['Retry-After'] };
}

describe('createRateLimit', () => {
  test('allows a burst of the per-minute limit, then 429 with Retry-After; refills over time; per client', () => {
    let now = 0;
    const limit = createRateLimit(3, () => now);
    for (let i = 0; i < 3; i++) expect(call(limit, '10.0.0.1').error).toBeUndefined();
    const refused = call(limit, '10.0.0.1');
    expect(refused.error).toBeInstanceOf(RateLimitedError);
    expect(refused.retryAfter).toBe('20');
    expect(call(limit, '10.0.0.2').error).toBeUndefined(); // another client has its own bucket
    now += 20_000;
    expect(call(limit, '10.0.0.1').error).toBeUndefined();
    expect(call(limit, '10.0.0.1').error).toBeInstanceOf(RateLimitedError);
  });

  test('0 disables the limit', () => {
    const limit = createRateLimit(0);
    for (let i = 0; i < 100; i++) expect(call(limit, '10.0.0.1').error).toBeUndefined();
  });
});
