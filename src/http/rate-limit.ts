/**
 * Per-client rate limit (a token bucket per remote address, in process memory): `perMinute` requests a minute on
 * average, bursts up to the same number. Over the limit: 429 OperationOutcome with `Retry-After`. Used on
 * `/notify`, before authentication, so guessing the secret is throttled too.
 */
import type { RequestHandler } from 'express';
import { RateLimitedError } from '../errors.js';

/** Buckets kept at most; full (idle) ones are dropped first when there are more. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Builds the middleware.
 * @param perMinute - requests per minute per client; 0 disables the limit.
 * @param now - the clock in ms (tests move it).
 * @returns the middleware.
 */
export function createRateLimit(perMinute: number, now: () => number = Date.now): RequestHandler {
  if (perMinute <= 0) {
    return (_req, _res, next) => next();
  }
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  const refill = (bucket: Bucket, t: number): void => {
    bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.updated) * perMs);
    bucket.updated = t;
  };
  return (req, res, next) => {
    const t = now();
    // `trust proxy` is off: the socket's address, not a header a client could set.
    const client = req.socket.remoteAddress ?? 'unknown';
    let bucket = buckets.get(client);
    if (!bucket) {
      if (buckets.size >= MAX_BUCKETS) prune(buckets, t, refill, perMinute);
      bucket = { tokens: perMinute, updated: t };
      buckets.set(client, bucket);
    }
    refill(bucket, t);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfterS = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    res.setHeader('Retry-After', String(retryAfterS));
    next(new RateLimitedError(retryAfterS));
  };
}

function prune(buckets: Map<string, Bucket>, t: number, refill: (b: Bucket, t: number) => void, full: number): void {
  for (const [key, bucket] of buckets) {
    refill(bucket, t);
    if (bucket.tokens >= full) buckets.delete(key);
  }
  // Still too many: forget the oldest (Map keeps insertion order); they start again with a full bucket.
  for (const key of buckets.keys()) {
    if (buckets.size < MAX_BUCKETS) break;
    buckets.delete(key);
  }
}
