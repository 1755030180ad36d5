/**
 * Guards the embedded `/fhir/R4` endpoint with API_TOKEN (`Authorization: Bearer <token>`, compared in constant
 * time). `GET metadata` stays open, as FHIR servers' CapabilityStatements are. Unset token: no guard (start-up
 * warns when the server is reachable from other hosts).
 */
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../errors.js';
import { constantTimeEquals } from '../ingest/verify-signature.js';

/**
 * Builds the middleware.
 * @param token - API_TOKEN.
 * @returns the middleware.
 */
export function requireApiToken(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (token === undefined || (req.method === 'GET' && /^\/metadata\/?$/.test(req.path))) {
      next();
      return;
    }
    const bearer = /^bearer\s+(.+)$/i.exec(req.header('authorization')?.trim() ?? '');
    next(bearer && constantTimeEquals(bearer[1], token) ? undefined : new UnauthorizedError());
  };
}
