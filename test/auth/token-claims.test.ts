import { describe, expect, it } from 'vitest';
import { MAX_ISSUER_LENGTH } from '../../src/auth/oidc.js';
import { MAX_SUBJECT_LENGTH, principalFromClaims, rolesFromClaims } from '../../src/auth/token-claims.js';
import { MAX_PRINCIPAL_ID_LENGTH } from '../../src/core/principal.js';

const roles = (claims: Record<string, unknown>, claim: string) => [...rolesFromClaims(claims, claim)].sort();

describe('the roles a token claim gives', () => {
  it('reads an array of role names, keeping only the service’s roles', () => {
    expect(roles({ roles: ['certificates:read', 'payroll:approve', 'admin'] }, 'roles')).toEqual(['admin', 'certificates:read']);
  });

  it('reads a dotted path into nested claims (Keycloak’s realm_access.roles)', () => {
    expect(roles({ realm_access: { roles: ['audit:read'] } }, 'realm_access.roles')).toEqual(['audit:read']);
    expect(roles({ realm_access: ['audit:read'] }, 'realm_access.roles')).toEqual([]);
  });

  it('reads a space-separated string as scope carries it', () => {
    expect(roles({ scope: 'openid certificates:issue  ops:read' }, 'scope')).toEqual(['certificates:issue', 'ops:read']);
  });

  it('prefers a top-level claim whose name holds dots (a namespaced claim) to the path through it', () => {
    const claims = { 'https://certificates.example/roles': ['certificates:read'], https: { never: ['admin'] } };
    expect(roles(claims, 'https://certificates.example/roles')).toEqual(['certificates:read']);
  });

  it('gives no roles for a missing claim, for values that are neither strings nor arrays, and for non-string entries', () => {
    expect(roles({}, 'roles')).toEqual([]);
    expect(roles({ roles: { admin: true } }, 'roles')).toEqual([]);
    expect(roles({ roles: 42 }, 'roles')).toEqual([]);
    expect(roles({ roles: [['admin'], { admin: 1 }, 7, 'certificates:read'] }, 'roles')).toEqual(['certificates:read']);
  });

  it('never follows a path into what an object inherits', () => {
    expect(roles({}, 'constructor.name')).toEqual([]);
    expect(roles({ a: 'x' }, 'a.length')).toEqual([]);
  });
});

describe('the principal a verified token names', () => {
  const issuer = 'https://login.example.com';

  it('is oidc:<iss>#<sub>, named by its sub, with its roles', () => {
    expect(principalFromClaims(issuer, { sub: 'svc-42', roles: ['certificates:read'] }, 'roles')).toEqual({
      id: 'oidc:https://login.example.com#svc-42',
      name: 'svc-42',
      roles: new Set(['certificates:read']),
    });
  });

  it(`takes a sub of up to ${MAX_SUBJECT_LENGTH} characters, so that the longest issuer and sub fit a record`, () => {
    const longest = principalFromClaims(`https://${'i'.repeat(MAX_ISSUER_LENGTH - 8)}`, { sub: 's'.repeat(MAX_SUBJECT_LENGTH) }, 'roles');
    expect(longest.id.length).toBeLessThanOrEqual(MAX_PRINCIPAL_ID_LENGTH);
  });

  it.each([
    ['missing', {}],
    ['empty', { sub: '' }],
    ['too long', { sub: 's'.repeat(MAX_SUBJECT_LENGTH + 1) }],
    ['holding a newline', { sub: 'svc\nforged log line' }],
    ['not a string', { sub: 42 }],
  ])('refuses a sub %s as unauthenticated', (_, claims) => {
    expect(() => principalFromClaims(issuer, claims, 'roles')).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
  });
});
