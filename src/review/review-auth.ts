/**
 * The reviewer's bearer token (REVIEW_TOKEN): each token names one reviewer, compared in constant time. The page
 * keeps the token in sessionStorage (gone when the tab closes) and sends it as `Authorization: Bearer` on every API
 * call; no cookie, so no cross-site request can use it.
 */
import type { RequestHandler } from 'express';
import type { ReviewerCredential } from '../config/config.js';
import { constantTimeEquals } from '../ingest/verify-signature.js';
import type { Reviewer } from './decision.js';

/**
 * Finds the reviewer a bearer token belongs to.
 * @param authorization - the Authorization header.
 * @param reviewers - REVIEW_TOKEN.
 * @returns the reviewer, or undefined.
 */
export function reviewerOf(authorization: string | undefined, reviewers: readonly ReviewerCredential[]): Reviewer | undefined {
  const bearer = /^bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  if (!bearer) return undefined;
  // Every token is compared (no early exit), so timing says nothing about which one nearly matched.
  let found: Reviewer | undefined;
  for (const r of reviewers) {
    if (constantTimeEquals(bearer[1], r.token)) found = { id: r.id };
  }
  return found;
}

/**
 * Middleware: 401 OperationOutcome without a reviewer's token; otherwise `res.locals.reviewer`.
 * @param reviewers - REVIEW_TOKEN.
 * @returns the middleware.
 */
export function requireReviewer(reviewers: readonly ReviewerCredential[]): RequestHandler {
  return (req, res, next) => {
    const reviewer = reviewerOf(req.header('authorization'), reviewers);
    if (!reviewer) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="chartmine-review"')
        .type('application/fhir+json')
        .json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', details: { text: 'A reviewer token is required' } }] });
      return;
    }
    res.locals.reviewer = reviewer;
    next();
  };
}
