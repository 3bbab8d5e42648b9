import { CertificateError } from '../core/errors.js';
import { isRole, principalId, type Principal, type Role } from '../core/principal.js';

/** The longest `sub` a token may carry: with an issuer of at most MAX_ISSUER_LENGTH, MAX_PRINCIPAL_ID_LENGTH holds. */
export const MAX_SUBJECT_LENGTH = 255;

/**
 * Whose a verified token is: `oidc:<issuer>#<sub>`, named by its `sub`, with the roles its claim
 * `rolesClaim` gives. A `sub` that is empty, longer than MAX_SUBJECT_LENGTH or holds control
 * characters is refused: it would go into every record and log line of what the principal does.
 */
export function principalFromClaims(issuer: string, claims: Readonly<Record<string, unknown>>, rolesClaim: string): Principal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || /\p{Cc}/u.test(subject))
    throw new CertificateError(
      'unauthenticated',
      `Expected the token's "sub" to be 1 to ${MAX_SUBJECT_LENGTH} characters without control characters`,
    );
  return { id: principalId.token(issuer, subject), name: subject, roles: rolesFromClaims(claims, rolesClaim) };
}

/**
 * The service's roles a token's claims give: the claim named `claim` (a top-level claim of that
 * exact name, such as a namespaced `https://example.com/roles`, else a dotted path such as
 * Keycloak's `realm_access.roles`), read as an array of strings or a space-separated string (as
 * `scope` is). Names the service does not know are ignored: a provider's other roles grant nothing.
 */
export function rolesFromClaims(claims: Readonly<Record<string, unknown>>, claim: string): Set<Role> {
  const value = Object.hasOwn(claims, claim) ? claims[claim] : claimAt(claims, claim.split('.'));
  const names = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
  return new Set(names.filter((name): name is Role => typeof name === 'string' && isRole(name)));
}

function claimAt(claims: unknown, path: readonly string[]): unknown {
  let value = claims;
  for (const part of path) {
    // Own properties only: a path such as `constructor.name` must find nothing.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
