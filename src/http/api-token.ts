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
    next(isAuthorized(req.method, req.path, req.header('authorization'), token) ? undefined : new UnauthorizedError());
  };
}

/**
 * Whether a request to the embedded store may proceed: no token configured, `GET metadata`, or the right bearer.
 * @param method - the HTTP method.
 * @param path - the path below `/fhir/R4`, with its leading slash.
 * @param authorization - the `Authorization` header.
 * @param token - API_TOKEN.
 * @returns true when allowed.
 */
export function isAuthorized(method: string, path: string, authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || (method.toUpperCase() === 'GET' && /^\/metadata\/?$/.test(path))) return true;
  const bearer = /^bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  return bearer !== null && constantTimeEquals(bearer[1], token);
}
