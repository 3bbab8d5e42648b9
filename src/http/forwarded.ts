import type Router from '@koa/router';
import { issueRequest, type IssueRequest, type Issued } from '../core/certificate.js';
import {
  ACT_PATH,
  encodeActResult,
  encodeAnswer,
  FORWARD_PATH,
  MAX_FORWARDED_REQUESTS,
  type ActBody,
  type ForwardBody,
} from '../cluster/forward-protocol.js';
import type { EventDone, EventRequest } from '../core/events.js';
import { CertificateError, isCertificateError } from '../core/errors.js';
import { MAX_PRINCIPAL_ID_LENGTH } from '../core/principal.js';
import { isPrincipalId, isRequestId, MAX_REQUEST_ID_LENGTH } from '../core/provenance.js';
import { provenJson } from './cluster-proof.js';
import type { Issuer } from './issuer.js';
import { parseIdempotencyKey, parseIssueRequest } from './validate.js';
import { parseEventAsked } from './validate-events.js';

export interface ForwardedIssuer extends Pick<Issuer, 'proofOf'> {
  issueForwarded(requests: readonly IssueRequest[]): Promise<Array<Issued | CertificateError>>;
  actForwarded(request: EventRequest): Promise<EventDone>;
}

/**
 * The outcome with its proof, read from the log for a replay: the follower answers its client
 * with what the writer sends, and cannot read a write its tail may not have reached. A read that
 * fails is that request's answer (`log_unavailable`), not the call's.
 */
async function withProof(issuer: ForwardedIssuer, outcome: Issued | CertificateError): Promise<Issued | CertificateError> {
  if (isCertificateError(outcome) || outcome.proof !== undefined) return outcome;
  try {
    const proof = await issuer.proofOf(outcome.certificate);
    return proof === undefined ? outcome : { ...outcome, proof };
  } catch (error) {
    if (isCertificateError(error)) return error;
    throw error;
  }
}

/**
 * A forwarded request is the client's body with its `Idempotency-Key`, if it had one, as
 * `idempotencyKey`, and the principal and `Request-Id` the follower's edge answered it under: the
 * writer records them as they come, so only an instance of the cluster may call it.
 */
export function parseForwarded(item: unknown): IssueRequest {
  const { fields, key, principal, requestId } = forwardedParts(item);
  return issueRequest(parseIssueRequest(fields, key), principal, requestId);
}

/** A forwarded event: the request as the follower's edge parsed it, checked again here as if it came directly. */
export function parseForwardedEvent(item: unknown): EventRequest {
  const { fields, key, principal, requestId } = forwardedParts(item);
  return { ...parseEventAsked(fields, key), principal, requestId };
}

/** What every forwarded request carries beside its fields: its key, principal and request id, checked. */
function forwardedParts(item: unknown): {
  readonly fields: Record<string, unknown>;
  readonly key: string | undefined;
  readonly principal: string;
  readonly requestId: string;
} {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new CertificateError('invalid_body', 'Expected each forwarded request to be a JSON object');
  }
  const { idempotencyKey, principal, requestId, ...fields } = item as Record<string, unknown>;
  if (!isPrincipalId(principal)) {
    throw new CertificateError('invalid_body', `Expected \`principal\` to be a principal id of 1 to ${MAX_PRINCIPAL_ID_LENGTH} characters`);
  }
  if (!isRequestId(requestId)) {
    throw new CertificateError(
      'invalid_body',
      `Expected \`requestId\` to be 1 to ${MAX_REQUEST_ID_LENGTH} printable ASCII characters, no space`,
    );
  }
  const key = Object.hasOwn(item, 'idempotencyKey') ? parseIdempotencyKey(idempotencyKey) : undefined;
  return { fields, key, principal, requestId };
}

/**
 * Forwarded requests may carry a whole call: room for that many of the largest requests, each with
 * a principal JSON may escape to six bytes a character, and a request id.
 */
export const FORWARD_MAX_BYTES = MAX_FORWARDED_REQUESTS * (5000 + 6 * MAX_PRINCIPAL_ID_LENGTH + MAX_REQUEST_ID_LENGTH);

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
    const outcomes = await Promise.all((await issuer.issueForwarded(valid)).map((outcome) => withProof(issuer, outcome)));
    let next = 0;
    ctx.body = encodeAnswer(parsed.map((item) => (isCertificateError(item) ? item : outcomes[next++]!)));
  });

  // One event a call; its refusal is the answer's result, so the follower tells it from a call's failure.
  router.post(ACT_PATH, async (ctx) => {
    const body = provenJson(ctx) as Partial<Record<keyof ActBody, unknown>> | null;
    const request = parseForwardedEvent(body?.request);
    try {
      ctx.body = { result: encodeActResult(await issuer.actForwarded(request)) };
    } catch (error) {
      if (!isCertificateError(error) || error.code === 'not_writer') throw error;
      ctx.body = { result: encodeActResult(error) };
    }
  });
}
