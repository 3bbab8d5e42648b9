import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { CertificateError } from '../core/errors.js';
import { headText, type Head, type Seal, type SealCheck, type SealSigner, type SealVerifier } from '../core/seal.js';

/**
 * One Ed25519 key as trusted: its id, the time from which it may sign and, once retired, the time
 * from which it may not. The private half is held only where this instance may write.
 */
export interface SigningKey {
  readonly kid: string;
  readonly notBefore: string;
  readonly retiredAt?: string;
  readonly publicKey: KeyObject;
  readonly privateKey?: KeyObject;
}

/** A trusted key as published (RFC 7517 JWK, with when it may sign): what an offline verifier holds. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'EdDSA';
  readonly notBefore: string;
  readonly retiredAt?: string;
}

/** Signatures this process made, remembered so that applying its own writes does not verify them again. */
const REMEMBERED_SIGNATURES = 1024;

/**
 * A seal naming a key this instance does not know makes it read the key file again, at most this
 * often: a writer that read a new key before this instance did must not have its seal voided here
 * (the two would then disagree on the log), and seals with made-up key ids cost a read a second.
 */
export const UNKNOWN_KEY_REREAD_MS = 1000;

export interface SigningKeysOptions {
  /** Reads the key file again now, replacing the keys if it changed (src/signing/signing-start.ts). */
  readonly reread?: () => void;
  /** Milliseconds, for the rereads' rate; Date.now by default. */
  readonly now?: () => number;
}

/** Whether `key` may sign at the ISO time `at`: from its start, before its retirement. */
export function maySignAt(key: Pick<SigningKey, 'notBefore' | 'retiredAt'>, at: string): boolean {
  return key.notBefore <= at && (key.retiredAt === undefined || at < key.retiredAt);
}

/** The public half of a JWK (`x` of an OKP key) as a key object, or an error naming the key. */
export function publicKeyOf(jwk: { readonly kid: string; readonly x: string }): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

export function privateKeyOf(jwk: { readonly x: string; readonly d: string }): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' });
}

/**
 * The signing keys an instance trusts, and signs with when it holds their private halves: the rule's
 * verifier and the writer's signer (src/core/seal.ts), through Node's own Ed25519. Replaced whole
 * when the key file changes (src/signing/key-file.ts), so a rotation reaches every reader and writer.
 */
export class SigningKeys implements SealSigner, SealVerifier {
  private keys: ReadonlyMap<string, SigningKey>;
  /** Head texts by the signature this process made of them, oldest first. */
  private readonly signed = new Map<string, string>();
  private lastReread = -Infinity;

  constructor(
    keys: readonly SigningKey[],
    private readonly options: SigningKeysOptions = {},
  ) {
    this.keys = new Map(keys.map((key) => [key.kid, key]));
  }

  /** Takes the keys as they now are (a rotation or a retirement read from the key file). */
  replace(keys: readonly SigningKey[]): void {
    this.keys = new Map(keys.map((key) => [key.kid, key]));
  }

  get all(): readonly SigningKey[] {
    return [...this.keys.values()];
  }

  /** Whether this instance may sign at `at`: a private key valid then. */
  canSign(at: string): boolean {
    return this.signingKey(at) !== undefined;
  }

  check(head: Head, text: string, signature: string): SealCheck {
    let key = this.keys.get(head.key);
    if (key === undefined && this.reread()) key = this.keys.get(head.key);
    if (key === undefined) return 'untrusted_key';
    if (!maySignAt(key, head.at)) return 'retired_key';
    if (this.signed.get(signature) === text) return 'ok';
    return verify(null, Buffer.from(text), key.publicKey, Buffer.from(signature, 'base64')) ? 'ok' : 'bad_signature';
  }

  sign(unsigned: Omit<Head, 'key'>): Seal {
    const key = this.signingKey(unsigned.at);
    if (key === undefined) {
      throw new CertificateError(
        'signing_unavailable',
        `No signing key held here may sign at ${unsigned.at} (SIGNING_KEY_FILE): nothing was issued, retry later`,
      );
    }
    const head: Head = { ...unsigned, key: key.kid };
    const text = headText(head);
    const signature = sign(null, Buffer.from(text), key.privateKey!).toString('base64');
    this.signed.set(signature, text);
    if (this.signed.size > REMEMBERED_SIGNATURES) this.signed.delete(this.signed.keys().next().value!);
    return { head, signature };
  }

  /** The trusted keys as a JWK set, oldest first: what /.well-known/ publishes. */
  publicSet(): { readonly keys: PublicJwk[] } {
    const keys = this.all
      .map((key): PublicJwk => {
        const { x } = key.publicKey.export({ format: 'jwk' }) as { x: string };
        return {
          kty: 'OKP',
          crv: 'Ed25519',
          x,
          kid: key.kid,
          use: 'sig',
          alg: 'EdDSA',
          notBefore: key.notBefore,
          ...(key.retiredAt === undefined ? {} : { retiredAt: key.retiredAt }),
        };
      })
      .sort((a, b) => a.notBefore.localeCompare(b.notBefore) || a.kid.localeCompare(b.kid));
    return { keys };
  }

  /** Reads the key file again unless it was read for an unknown key less than UNKNOWN_KEY_REREAD_MS ago; whether it was. */
  private reread(): boolean {
    const { reread, now = Date.now } = this.options;
    if (reread === undefined || now() - this.lastReread < UNKNOWN_KEY_REREAD_MS) return false;
    this.lastReread = now();
    reread();
    return true;
  }

  /** The key that signs at `at`: among the private keys valid then, the one that started last. */
  private signingKey(at: string): SigningKey | undefined {
    let chosen: SigningKey | undefined;
    for (const key of this.keys.values()) {
      if (key.privateKey === undefined || !maySignAt(key, at)) continue;
      if (chosen === undefined || key.notBefore > chosen.notBefore) chosen = key;
    }
    return chosen;
  }
}
