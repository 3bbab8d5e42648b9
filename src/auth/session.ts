import { hkdfSync, randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';
import { isRole, type Principal } from '../core/principal.js';

/**
 * The console's sessions, kept by the browser rather than by an instance: the session is encrypted
 * and authenticated into its cookie with jose (JWE, `dir` + A256GCM), under a key every instance
 * derives from the same secret, so whichever instance a balancer picks accepts it, and none has a
 * store to lose or share. The browser can neither read it (the CSRF token inside is given to the
 * page by GET /console/session) nor alter it.
 */
export interface Session {
  readonly principal: Principal;
  /** The token unsafe requests must echo in `X-CSRF-Token` (src/http/console-session.ts). */
  readonly csrf: string;
  /** Epoch ms: the session is refused from then on, however active. */
  readonly expiresAt: number;
  /** The API key it was opened with: revoking the key ends the session. */
  readonly keyId?: string;
}

/** What a sign-in with the identity provider must find again at its callback: sealed into a short-lived cookie. */
export interface SignInFlow {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

/** A cookie longer than this is nobody's session: refused without decrypting it. */
export const MAX_SEALED_LENGTH = 4096;

/** How long a sign-in at the identity provider may take. */
export const SIGN_IN_FLOW_SECONDS = 600;

// Each kind of sealed value has its own audience: a flow cookie can never be taken for a session.
const SESSION = 'stock-certificates:console-session';
const FLOW = 'stock-certificates:console-sign-in';
const ALGORITHMS = { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] };

/** 32 random bytes, base64url: CSRF tokens, OIDC state, nonce and PKCE verifier. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The sessions' key: HKDF-SHA256 of the secret (CONSOLE_SESSION_KEY_FILE, else CLUSTER_SECRET_FILE's,
 * which every instance of a cluster shares), so that the secret itself never encrypts anything and a
 * key for another purpose derived from it would differ. Without a secret, a key of this process's own:
 * sessions then hold on this instance only, and end when it restarts.
 */
export function sessionKey(secret: string | undefined): Uint8Array {
  if (secret === undefined) return randomBytes(32);
  return new Uint8Array(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), 'stock-certificates console session v1', 32));
}

export class SessionSeal {
  constructor(
    private readonly key: Uint8Array,
    /** CONSOLE_SESSION_MINUTES. */
    readonly minutes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session for the principal, expiring `minutes` from now. */
  open(principal: Principal, keyId?: string): Session {
    return { principal, csrf: randomToken(), expiresAt: this.now() + this.minutes * 60_000, ...(keyId === undefined ? {} : { keyId }) };
  }

  seal(session: Session): Promise<string> {
    const { principal, csrf, keyId } = session;
    return this.encrypt(
      { name: principal.name, roles: [...principal.roles], csrf, ...(keyId === undefined ? {} : { key: keyId }) },
      SESSION,
      session.expiresAt,
      principal.id,
    );
  }

  /** The session a cookie holds; undefined when it is not one of ours, was altered, or has expired. */
  async unseal(sealed: string): Promise<Session | undefined> {
    const payload = await this.decrypt(sealed, SESSION);
    const { sub, name, roles, csrf, key, exp } = payload ?? {};
    if (typeof sub !== 'string' || typeof name !== 'string' || typeof csrf !== 'string' || !Array.isArray(roles)) return undefined;
    if (key !== undefined && typeof key !== 'string') return undefined;
    return {
      principal: { id: sub, name, roles: new Set(roles.filter((role): role is string => typeof role === 'string').filter(isRole)) },
      csrf,
      expiresAt: exp! * 1000,
      ...(key === undefined ? {} : { keyId: key }),
    };
  }

  sealFlow(flow: SignInFlow): Promise<string> {
    return this.encrypt({ ...flow }, FLOW, this.now() + SIGN_IN_FLOW_SECONDS * 1000);
  }

  async unsealFlow(sealed: string): Promise<SignInFlow | undefined> {
    const { state, nonce, verifier } = (await this.decrypt(sealed, FLOW)) ?? {};
    return typeof state === 'string' && typeof nonce === 'string' && typeof verifier === 'string' ? { state, nonce, verifier } : undefined;
  }

  private encrypt(claims: JWTPayload, audience: string, expiresAtMs: number, subject?: string): Promise<string> {
    const jwt = new EncryptJWT(claims)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(audience)
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.floor(expiresAtMs / 1000));
    return (subject === undefined ? jwt : jwt.setSubject(subject)).encrypt(this.key);
  }

  private async decrypt(sealed: string, audience: string): Promise<JWTPayload | undefined> {
    if (sealed.length > MAX_SEALED_LENGTH) return undefined;
    try {
      const { payload } = await jwtDecrypt(sealed, this.key, {
        ...ALGORITHMS,
        audience,
        requiredClaims: ['exp', 'iat'],
        currentDate: new Date(this.now()),
      });
      return payload;
    } catch {
      // Altered, expired, sealed under another key (a rotated secret), or not ours: no session.
      return undefined;
    }
  }
}
