import { parseArgs } from 'node:util';
import { isRole, ROLES, type Role } from '../core/principal.js';
import { KEY_NAME, newApiKey, type ApiKeyRecord } from '../auth/api-keys.js';
import { readKeysOrNone, updateKeyFile } from '../auth/key-file.js';
import { KEY_RELOAD_BOUND_MS } from '../files/followed-file.js';
import { UsageError } from './usage.js';

export const API_KEYS_USAGE = `  npm run keys -- create --name NAME --role ROLE [--role ROLE ...] [--expires ISO-DATE]
  npm run keys -- list
  npm run keys -- revoke KEY_ID
Roles: ${ROLES.join(', ')}. The file is API_KEYS_FILE (else the development file in STATE_DIR or ./.state).`;

function roles(given: readonly string[] | undefined): Role[] {
  if (given === undefined || given.length === 0) throw new UsageError(`Expected at least one --role, one of ${ROLES.join(', ')}`);
  return given.map((role) => {
    if (!isRole(role)) throw new UsageError(`Expected --role to be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    return role;
  });
}

function expiry(given: string | undefined, now: Date): Date | undefined {
  if (given === undefined) return undefined;
  const date = new Date(given);
  if (!/^\d{4}-\d{2}-\d{2}/.test(given) || Number.isNaN(date.getTime()))
    throw new UsageError(
      `Expected --expires to be an ISO 8601 date such as 2027-01-31 or 2027-01-31T12:00:00Z, got ${JSON.stringify(given)}`,
    );
  if (date <= now) throw new UsageError(`Expected --expires to be in the future, got ${date.toISOString()}`);
  return date;
}

function line(record: ApiKeyRecord): string {
  return [record.id, record.name, record.roles.join(','), `created=${record.createdAt}`, `expires=${record.expiresAt ?? 'never'}`].join(
    '\t',
  );
}

/** What `npm run keys` prints on stdout for an API key command; the key, on `create`, alone on the last line. */
export function runApiKeysCommand(argv: readonly string[], file: string, now = new Date()): string[] {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { name: { type: 'string' }, role: { type: 'string', multiple: true }, expires: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'create': {
      if (rest.length > 0) throw new UsageError(`Expected no arguments after create but options, got ${rest.join(' ')}`);
      const name = values.name?.trim();
      if (name === undefined || !KEY_NAME.test(name))
        throw new UsageError(`Expected --name to be 1 to 100 printable characters, got ${JSON.stringify(values.name ?? null)}`);
      const { key, record } = newApiKey(name, roles(values.role), now, expiry(values.expires, now));
      updateKeyFile(file, (keys) => [...keys, record]);
      return [
        `Created API key ${record.id} (${record.name}) with ${record.roles.join(', ')}${record.expiresAt === undefined ? '' : `, expiring ${record.expiresAt}`}, in ${file}.`,
        'The key is shown this once (only its hash is kept); send it as Authorization: Bearer <key>:',
        key,
      ];
    }
    case 'list':
      if (rest.length > 0) throw new UsageError(`Expected nothing after list, got ${rest.join(' ')}`);
      return readKeysOrNone(file).map(line);
    case 'revoke': {
      const [id, ...more] = rest;
      if (id === undefined || more.length > 0) throw new UsageError('Expected one key id after revoke (the first column of list)');
      const revoked = readKeysOrNone(file).find((record) => record.id === id);
      if (revoked === undefined) throw new UsageError(`No key ${JSON.stringify(id)} in ${file}; list shows the ids`);
      updateKeyFile(file, (keys) => keys.filter((record) => record.id !== id));
      return [`Revoked ${revoked.id} (${revoked.name}); running instances refuse it within ${KEY_RELOAD_BOUND_MS / 1000} s.`];
    }
    default:
      throw new UsageError(command === undefined ? 'Expected a command' : `Unknown command ${JSON.stringify(command)}`);
  }
}
