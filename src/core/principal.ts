/**
 * Who asks. Every request the service acts on comes from a principal that proved itself (an API key
 * or an identity provider's token, src/auth); its roles decide what it may do, and its `id` is what
 * the log records as the issuer of a certificate.
 */

/**
 * The roles, spelled exactly as operators script against them. `admin` holds every other role.
 * Issuing, transferring, cancelling and changing a class are separate duties (a transfer agent's
 * clerk transfers, the board's secretary adjusts): a reissuance replaces a certificate, so it is an
 * issuance; a stop and a repurchase take a certificate out of circulation, so they are cancellations;
 * a class's authorized shares and its legend templates are the class's.
 */
export const ROLES = [
  'certificates:issue',
  'certificates:transfer',
  'certificates:cancel',
  'classes:adjust',
  'certificates:read',
  'audit:read',
  'ops:read',
  'admin',
] as const;

export type Role = (typeof ROLES)[number];

export interface Principal {
  /** What records, logs and the audit name: `key:<key id>` or `oidc:<iss>#<sub>` (principalId below). */
  readonly id: string;
  /** A human name for logs: the API key's name, or the token's subject. */
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
}

/** The longest principal id a record may carry: an issuer URL and a subject, each bounded at the edge. */
export const MAX_PRINCIPAL_ID_LENGTH = 600;

/** The one spelling of a principal's id, for records and the audit. */
export const principalId = {
  apiKey: (keyId: string): string => `key:${keyId}`,
  // An OpenID issuer has no fragment (OpenID Connect Discovery §2), so the first `#` separates it from the subject.
  token: (issuer: string, subject: string): string => `oidc:${issuer}#${subject}`,
};

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** Whether the principal may act in `role`: it holds the role, or `admin`. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.has(role) || principal.roles.has('admin');
}
