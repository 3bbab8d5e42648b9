import { isRole, type Role } from '../core/principal.js';

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
