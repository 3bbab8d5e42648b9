import type Router from '@koa/router';
import type { IssueRequest, Issued } from '../core/certificate.js';
import { encodeResult, FORWARD_PATH, MAX_FORWARDED_REQUESTS, type ForwardBody } from '../cluster/forward-protocol.js';
import { CertificateError, isCertificateError } from '../core/errors.js';
import { provenJson } from './cluster-proof.js';
import { parseIdempotencyKey, parseIssueRequest } from './validate.js';

export interface ForwardedIssuer {
  issueForwarded(requests: readonly IssueRequest[]): Promise<Array<Issued | CertificateError>>;
}

/** A forwarded request is the client's body with its `Idempotency-Key`, if it had one, as `idempotencyKey`. */
function parseForwarded(item: unknown): IssueRequest {
  if (typeof item !== 'object' || item === null || Array.isArray(item) || !Object.hasOwn(item, 'idempotencyKey')) {
    return parseIssueRequest(item);
  }
  const { idempotencyKey, ...fields } = item as Record<string, unknown>;
  return parseIssueRequest(fields, parseIdempotencyKey(idempotencyKey));
}

/** Forwarded requests may carry a whole call: room for that many of the largest requests. */
export const FORWARD_MAX_BYTES = MAX_FORWARDED_REQUESTS * 5000;

/**
 * The writer's side of forwarding: many requests in one call, each validated here as if it came
 * directly (a writer trusts no one's validation), each answered on its own. Refused whole with
 * `not_writer` when this instance does not write, so the follower may send it elsewhere. Mounted
 * only on the internal listener, behind the cluster's proof (src/http/internal-app.ts).
 */
export function forwardRoutes(router: Router, issuer: ForwardedIssuer): void {
  router.post(FORWARD_PATH, async (ctx) => {
    // Unchecked until each request is parsed below: a writer trusts no one's validation.
    const body = provenJson(ctx) as Partial<Record<keyof ForwardBody, unknown>> | null;
    const items = body?.requests;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_FORWARDED_REQUESTS) {
      throw new CertificateError('invalid_body', `Expected {"requests":[…]} with 1 to ${MAX_FORWARDED_REQUESTS} issue requests`);
    }
    const parsed = items.map((item: unknown) => {
      try {
        return parseForwarded(item);
      } catch (error) {
        if (isCertificateError(error)) return error;
        throw error;
      }
    });
    const valid = parsed.filter((item): item is IssueRequest => !isCertificateError(item));
    const outcomes = await issuer.issueForwarded(valid);
    let next = 0;
    ctx.body = { results: parsed.map((item) => encodeResult(isCertificateError(item) ? item : outcomes[next++]!)) };
  });
}
