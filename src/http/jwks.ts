import type Router from '@koa/router';
import { CertificateError } from '../core/errors.js';
import type { PublicJwk } from '../signing/signing-keys.js';

/** The trusted signing keys as a JWK set (RFC 7517 §5): each key's public half, its id, and when it may sign. */
export interface PublishedKeys {
  readonly keys: readonly PublicJwk[];
}

/**
 * How long a verifier may keep the set without asking again: short, since a rotation publishes its
 * new key only seconds before it signs (docs/operations.md, "Signing keys"); a verifier that meets
 * a key id it does not hold asks again at once.
 */
export const JWKS_MAX_AGE_SECONDS = 60;

/**
 * GET /.well-known/jwks.json: the public keys that seals in the log are checked against, for anyone
 * who verifies a certificate's proof or audits the log offline. Public: they are public keys, and
 * a verifier should not need credentials to check what it was given. Without `signingKeys` (signing
 * disabled) there are none to publish: 404.
 */
export function jwksRoutes(router: Router, signingKeys: (() => PublishedKeys) | undefined): void {
  router.get('/.well-known/jwks.json', (ctx) => {
    if (signingKeys === undefined) {
      throw new CertificateError('not_found', 'This instance does not sign (SIGNING_DISABLED): it publishes no signing keys');
    }
    ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    ctx.body = signingKeys();
  });
}
