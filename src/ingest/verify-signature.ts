/**
 * Authenticates a notification with NOTIFY_SECRET. Accepted, each compared in constant time:
 * - the secret in a header the Subscription sends (`Subscription.channel.header`): `Authorization: Bearer <secret>`
 *   by default, or the header named by NOTIFY_SECRET_HEADER, as `<secret>` or `Bearer <secret>`;
 * - Medplum's `X-Signature`: hex HMAC-SHA256 of the raw body, keyed with the secret (the Subscription's
 *   `subscription-secret` extension set to the same value).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How notifications are authenticated. */
export interface NotifyAuthOptions {
  /** NOTIFY_SECRET; unset: every notification is accepted. */
  readonly secret: string | undefined;
  /** Lower-case header name the secret travels in (NOTIFY_SECRET_HEADER, default `authorization`). */
  readonly header: string;
}

/** Reads a request header (lower-case name); `undefined` when absent. */
export type HeaderReader = (name: string) => string | undefined;

/**
 * Decides whether a notification carries the secret.
 * @param header - reads request headers.
 * @param rawBody - the exact bytes received.
 * @param options - the secret and its header.
 * @returns true when authenticated (or when no secret is configured).
 */
export function isNotificationAuthentic(header: HeaderReader, rawBody: Buffer, options: NotifyAuthOptions): boolean {
  const secret = options.secret;
  if (secret === undefined) return true;
  let ok = false;
  // Every check runs, whatever the outcome of the others: the time taken says nothing about which one matched.
  for (const name of new Set([options.header, 'authorization'])) {
    const value = header(name);
    if (value !== undefined) {
      const bearer = /^bearer\s+(.+)$/i.exec(value.trim());
      const given = bearer ? bearer[1] : name === 'authorization' ? undefined : value.trim();
      if (given !== undefined && constantTimeEquals(given, secret)) ok = true;
    }
  }
  const signature = header('x-signature');
  if (signature !== undefined) {
    const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
    if (constantTimeEquals(signature.trim().toLowerCase(), expected)) ok = true;
  }
  return ok;
}

/**
 * Compares two strings in time independent of where they differ and of their lengths (both are hashed first).
 * @param a - one string.
 * @param b - the other.
 * @returns whether they are equal.
 */
export function constantTimeEquals(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
