import type Router from '@koa/router';
import type { IssueRequest, Issued } from '../actors/certificate.js';
import { encodeResult, FORWARD_PATH } from '../cluster/forward-protocol.js';
import { CertificateError, isCertificateError } from '../errors.js';
import { readJsonBody, type BodyLimits } from './body.js';
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

/** Forwarded requests may carry a whole actor batch: room for 500 of the largest requests. */
const FORWARD_MAX_BYTES = 2_500_000;
const MAX_FORWARDED = 500;

/**
 * The writer's side of forwarding: many requests in one call, each validated here as if it came
 * directly (a writer trusts no one's validation), each answered on its own. Refused whole with
 * `not_writer` when this instance does not write, so the follower may send it elsewhere.
 */
export function forwardRoutes(router: Router, issuer: ForwardedIssuer, limits: BodyLimits): void {
  router.post(FORWARD_PATH, async (ctx) => {
    const body = (await readJsonBody(ctx, { ...limits, maxBytes: FORWARD_MAX_BYTES })) as { requests?: unknown } | null;
    const items = body?.requests;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_FORWARDED) {
      throw new CertificateError('invalid_body', `Expected {"requests":[…]} with 1 to ${MAX_FORWARDED} issue requests`);
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
