import { createHash, createHmac, createSecretKey, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { CertificateError } from '../core/errors.js';

/** The header a forwarded call and its answer carry their proof in. */
export const PROOF_HEADER = 'cluster-proof';

/** Fewest bytes a cluster secret may have: HMAC-SHA256's own key size. */
export const MIN_SECRET_BYTES = 32;

/** Every signed text starts with this: a proof of one kind can never pass for another, nor for a later version. */
const DOMAIN = 'stock-certificates cluster v1';

/** `t=<ms>,n=<nonce>,s=<signature>`, bounded: a signature is 43 base64url characters, a nonce a UUID. */
const REQUEST_PROOF = /^t=(\d{1,15}),n=([0-9a-f-]{36}),s=([A-Za-z0-9_-]{43})$/;
const ANSWER_PROOF = /^s=([A-Za-z0-9_-]{43})$/;

export interface ClusterAuthOptions {
  /** A signed call older or newer than this (the instances' clocks apart included) is refused. */
  readonly windowMs?: number;
  /** Nonces remembered at most: past it, calls are refused `overloaded` rather than remembered unbounded. */
  readonly maxRemembered?: number;
  readonly now?: () => number;
}

const digest = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('base64url');

function unauthenticated(expected: string, got: string): CertificateError {
  return new CertificateError('unauthenticated', `Expected ${expected}, got ${got}`);
}

/**
 * What makes an instance a member of the cluster: the secret every instance reads from
 * CLUSTER_SECRET_FILE. A follower signs each forwarded call (method, path, time, nonce, the body's
 * digest) and the writer signs its answer to that nonce, so neither a caller nor an answerer without
 * the secret is believed; each instance signs what it tells the election group too
 * (src/cluster/election.ts). HMAC-SHA256 from node:crypto, compared in constant time; a call is
 * taken once (its nonce is remembered for the window) and only while fresh.
 */
export class ClusterAuth {
  private readonly key: KeyObject;
  private readonly windowMs: number;
  private readonly maxRemembered: number;
  private readonly now: () => number;
  /** Nonces taken, with when each may be forgotten (its call is stale by then). */
  private readonly taken = new Map<string, number>();

  constructor(secret: Uint8Array, options: ClusterAuthOptions = {}) {
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`Expected a cluster secret of at least ${MIN_SECRET_BYTES} bytes`);
    this.key = createSecretKey(secret);
    this.windowMs = options.windowMs ?? 10_000;
    this.maxRemembered = options.maxRemembered ?? 500_000;
    this.now = options.now ?? Date.now;
  }

  /** A secret of this instance alone: it proves to no other instance, and believes none. */
  static ofItsOwn(): ClusterAuth {
    return new ClusterAuth(randomBytes(MIN_SECRET_BYTES));
  }

  /** The `Cluster-Proof` header for a call, and its nonce (the answer must be signed to it). */
  signRequest(method: string, path: string, body: string | Uint8Array): { readonly header: string; readonly nonce: string } {
    const time = this.now();
    const nonce = randomUUID();
    return { header: `t=${time},n=${nonce},s=${this.sign(requestText(method, path, time, nonce, body))}`, nonce };
  }

  /**
   * Checks a call's proof and takes its nonce; returns the nonce, to sign the answer to. Throws
   * `unauthenticated` for a missing, malformed, stale, wrongly signed or replayed proof.
   */
  verifyRequest(method: string, path: string, header: string | undefined, body: string | Uint8Array): string {
    const expected = `a ${PROOF_HEADER} header (t=…,n=…,s=…) signed with the cluster secret`;
    if (header === undefined || header === '') throw unauthenticated(expected, 'none');
    const match = REQUEST_PROOF.exec(header);
    if (match === null) throw unauthenticated(expected, 'a malformed one');
    const [, timeText, nonce, signature] = match as unknown as [string, string, string, string];
    const time = Number(timeText);
    const now = this.now();
    if (Math.abs(now - time) > this.windowMs) {
      throw unauthenticated(`a call signed within ${this.windowMs} ms of this instance's clock`, `one signed ${now - time} ms ago`);
    }
    if (!this.matches(requestText(method, path, time, nonce, body), signature)) throw unauthenticated(expected, 'a wrong signature');
    this.forgetStale(now);
    if (this.taken.has(nonce)) throw unauthenticated('a call sent once', 'one already taken (a replay)');
    if (this.taken.size >= this.maxRemembered) {
      throw new CertificateError('overloaded', `More than ${this.maxRemembered} calls within ${this.windowMs} ms; try again`);
    }
    this.taken.set(nonce, time + this.windowMs);
    return nonce;
  }

  /** The `Cluster-Proof` header of the answer to the call with this nonce. */
  signAnswer(nonce: string, status: number, body: string | Uint8Array): string {
    return `s=${this.sign(answerText(nonce, status, body))}`;
  }

  /** Whether an answer was signed, with the cluster secret, for the call with this nonce. */
  answerProven(nonce: string, status: number, header: string | undefined, body: string | Uint8Array): boolean {
    const match = header === undefined ? null : ANSWER_PROOF.exec(header);
    return match !== null && this.matches(answerText(nonce, status, body), match[1]!);
  }

  /** The proof of what a member tells the election group. */
  signMember(group: string, candidate: string): string {
    return this.sign(`${DOMAIN} member\n${group}\n${candidate}`);
  }

  memberProven(group: string, candidate: string, proof: unknown): boolean {
    return (
      typeof proof === 'string' && /^[A-Za-z0-9_-]{43}$/.test(proof) && this.matches(`${DOMAIN} member\n${group}\n${candidate}`, proof)
    );
  }

  private sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }

  private matches(text: string, signature: string): boolean {
    const expected = createHmac('sha256', this.key).update(text).digest();
    const given = Buffer.from(signature, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * A nonce is forgotten once its call would be refused as stale anyway. The Map keeps them in the
   * order taken, near enough to time order: stopping at the first still needed may keep a few longer.
   */
  private forgetStale(now: number): void {
    for (const [nonce, until] of this.taken) {
      if (until >= now) break;
      this.taken.delete(nonce);
    }
  }
}

function requestText(method: string, path: string, time: number, nonce: string, body: string | Uint8Array): string {
  return `${DOMAIN} request\n${method}\n${path}\n${time}\n${nonce}\n${digest(body)}`;
}

function answerText(nonce: string, status: number, body: string | Uint8Array): string {
  return `${DOMAIN} answer\n${nonce}\n${status}\n${digest(body)}`;
}
