import type { Principal } from '../core/principal.js';

/**
 * Checks a bearer token that is not one of our API keys (an identity provider's JWT) and says whose
 * it is; rejects with `unauthenticated` saying why when it is not valid.
 */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}
