/**
 * Bounds on every request body, applied before anything reads one: a declared size over the limit is refused at
 * once (Express's parsers would wait for the whole body before answering, which for `Content-Length: 99999999999`
 * means never), and JSON nested deeper than `MAX_JSON_DEPTH` is refused before it is parsed (recursive code further
 * on, such as turning a search body into parameters, would overflow the stack).
 */
import type { RequestHandler } from 'express';
import { InvalidNotificationError, PayloadTooLargeError } from '../errors.js';

/** JSON around a base64 note: room for the rest of the resource. */
const BODY_HEADROOM_BYTES = 256 * 1024;

/**
 * The largest request body accepted anywhere: a note of MAX_DOCUMENT_BYTES in base64 (4/3) plus headroom.
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the limit in bytes.
 */
export function requestBodyLimitBytes(maxDocumentBytes: number): number {
  return Math.ceil((maxDocumentBytes * 4) / 3) + BODY_HEADROOM_BYTES;
}

/** Deepest JSON accepted: FHIR resources nest about 10 levels, a transaction Bundle a few more. */
export const MAX_JSON_DEPTH = 100;

/**
 * Refuses a request whose declared `Content-Length` exceeds the limit, without reading its body, and closes the
 * connection after the answer (the client may still be sending).
 * @param limitBytes - the largest body accepted anywhere.
 * @returns the middleware.
 */
export function rejectDeclaredOversize(limitBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && !(Number(declared) <= limitBytes)) {
      res.setHeader('Connection', 'close');
      next(new PayloadTooLargeError(limitBytes));
      return;
    }
    next();
  };
}

/**
 * Checks the nesting depth of a JSON text without parsing it (brackets outside strings).
 * @param body - the raw body.
 * @param maxDepth - the deepest nesting allowed.
 * @throws InvalidNotificationError (400) when it nests deeper.
 */
export function assertJsonDepth(body: Buffer, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new InvalidNotificationError(`JSON body nests deeper than ${maxDepth} levels`, undefined, 400);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

/**
 * A body parser `verify` hook that bounds JSON depth.
 * @param _req - the request.
 * @param _res - the response.
 * @param body - the raw body.
 */
export function verifyJsonDepth(_req: unknown, _res: unknown, body: Buffer): void {
  assertJsonDepth(body);
}
