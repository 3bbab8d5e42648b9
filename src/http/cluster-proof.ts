import type { Context, Middleware } from 'koa';
import { PROOF_HEADER, type ClusterAuth } from '../cluster/cluster-auth.js';
import { CertificateError } from '../core/errors.js';
import { parseJson, readJsonBytes, type BodyLimits } from './body.js';

/** What the internal listener needs of the cluster secret (src/cluster/cluster-auth.ts). */
export type CallProof = Pick<ClusterAuth, 'verifyRequest' | 'signAnswer'>;

/** A call whose proof held: its nonce (its answer is signed to it) and its body. */
interface Proven {
  readonly nonce: string;
  readonly body: Buffer;
}

const proven = new WeakMap<Context, Proven>();

/**
 * Admits only calls signed with the cluster secret, before any route runs: anything else is
 * `401 unauthenticated`, whatever its path. The body is read (bounded) to check its digest, and
 * kept for the route.
 */
export function provenCalls(proof: CallProof, limits: BodyLimits): Middleware {
  return async (ctx, next) => {
    const header = ctx.get(PROOF_HEADER);
    try {
      // Refused before a body is read: a caller without a proof costs no buffering.
      if (header === '') proof.verifyRequest(ctx.method, ctx.url, undefined, '');
      const body = await readJsonBytes(ctx, limits);
      proven.set(ctx, { nonce: proof.verifyRequest(ctx.method, ctx.url, header, body), body });
    } catch (error) {
      // Whatever a refused caller still sends is not read: its connection ends with the answer.
      ctx.set('Connection', 'close');
      // The scheme a caller must use here: the cluster's proof, not the public API's credentials.
      ctx.set('WWW-Authenticate', 'Cluster-Proof');
      throw error;
    }
    await next();
  };
}

/**
 * Signs every answer to a proven call (errors too: a follower acts on `not_writer`), so a follower
 * believes only the cluster's answers. Outermost, so it signs the bytes that are sent.
 */
export function signedAnswers(proof: CallProof): Middleware {
  return async (ctx, next) => {
    await next();
    const call = proven.get(ctx);
    if (call === undefined) return;
    const text = JSON.stringify(ctx.body ?? null);
    ctx.body = text;
    ctx.type = 'application/json';
    ctx.set(PROOF_HEADER, proof.signAnswer(call.nonce, ctx.status, text));
  };
}

/** The body of the proven call being answered, parsed. */
export function provenJson(ctx: Context): unknown {
  const call = proven.get(ctx);
  if (call === undefined) throw new CertificateError('unauthenticated', 'Expected a call proven with the cluster secret, got none');
  return parseJson(call.body);
}
