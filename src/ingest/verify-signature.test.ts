import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { constantTimeEquals, isNotificationAuthentic } from './verify-signature.js';

const SECRET = 'a-notify-secret-of-32-characters';
const body = Buffer.from('{"resourceType":"DocumentReference","id":"note-1"}');
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('isNotificationAuthentic', () => {
  const options = { secret: SECRET, header: 'authorization' };

  test('no secret configured: everything passes', () => {
    expect(isNotificationAuthentic(headers({}), body, { secret: undefined, header: 'authorization' })).toBe(true);
  });

  test('Authorization: Bearer <secret>, any case of the scheme', () => {
    expect(isNotificationAuthentic(headers({ authorization: `Bearer ${SECRET}` }), body, options)).toBe(true);
    expect(isNotificationAuthentic(headers({ authorization: `bearer ${SECRET}` }), body, options)).toBe(true);
    expect(isNotificationAuthentic(headers({ authorization: SECRET }), body, options)).toBe(false); // scheme required here
    expect(isNotificationAuthentic(headers({ authorization: `Bearer ${SECRET}x` }), body, options)).toBe(false);
    expect(isNotificationAuthentic(headers({ authorization: 'Bearer ' }), body, options)).toBe(false);
    expect(isNotificationAuthentic(headers({}), body, options)).toBe(false);
  });

  test('a configured header takes the bare secret or Bearer; Authorization still works', () => {
    const custom = { secret: SECRET, header: 'x-chartmine-secret' };
    expect(isNotificationAuthentic(headers({ 'x-chartmine-secret': SECRET }), body, custom)).toBe(true);
    expect(isNotificationAuthentic(headers({ 'x-chartmine-secret': `Bearer ${SECRET}` }), body, custom)).toBe(true);
    expect(isNotificationAuthentic(headers({ authorization: `Bearer ${SECRET}` }), body, custom)).toBe(true);
    expect(isNotificationAuthentic(headers({ 'x-chartmine-secret': 'wrong' }), body, custom)).toBe(false);
  });

  test("Medplum's X-Signature: HMAC-SHA256 of the exact body", () => {
    const signature = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(isNotificationAuthentic(headers({ 'x-signature': signature }), body, options)).toBe(true);
    expect(isNotificationAuthentic(headers({ 'x-signature': signature.toUpperCase() }), body, options)).toBe(true);
    expect(isNotificationAuthentic(headers({ 'x-signature': signature }), Buffer.concat([body, Buffer.from(' ')]), options)).toBe(false);
    const wrongKey = createHmac('sha256', 'another-secret-another-secret').update(body).digest('hex');
    expect(isNotificationAuthentic(headers({ 'x-signature': wrongKey }), body, options)).toBe(false);
  });

  test('constantTimeEquals handles different lengths', () => {
    expect(constantTimeEquals('abc', 'abc')).toBe(true);
    expect(constantTimeEquals('abc', 'abcd')).toBe(false);
    expect(constantTimeEquals('', 'a')).toBe(false);
  });
});
