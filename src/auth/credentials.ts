import type { OidcSettings } from './oidc.js';
import { CertificateError } from '../core/errors.js';
import type { Logger } from '../monitoring/logger.js';
import { newApiKey } from './api-keys.js';
import { Authenticator } from './authenticator.js';
import { readKeysOrNone, writeKeyFile } from './key-file.js';
import { ApiKeyStore } from './key-store.js';
import type { TokenVerifier } from './token-verifier.js';

/** How callers prove who they are (API_KEYS_FILE, AUTH_DISABLED; the development key when nothing is set). */
export interface AuthSettings {
  /** The keys file every instance reads: API_KEYS_FILE, or the development one; undefined with an identity provider alone. */
  readonly apiKeysFile: string | undefined;
  /** Neither API_KEYS_FILE nor OIDC_ISSUER: the state directory's keys file, given an admin key at start when it holds none. */
  readonly development: boolean;
  /** AUTH_DISABLED=1: every request acts with every role (loopback and not production only: src/config.ts). */
  readonly disabled: boolean;
  /** OIDC_ISSUER and its settings: bearer tokens from this identity provider are taken beside API keys. */
  readonly oidc: OidcSettings | undefined;
}

export interface Credentials {
  readonly authenticator: Authenticator;
  /** The development admin key, when this start made one: to be shown once, never logged. */
  readonly developmentKey: string | undefined;
  /** Reads the keys file again now (SIGHUP). */
  reload(): void;
  close(): void;
}

/**
 * The development admin key: made when the development keys file holds no key, so that a
 * newcomer's `npm start` can be called at once. Its file lives in the state directory, 0600.
 */
function ensureDevelopmentKey(path: string): string | undefined {
  if (readKeysOrNone(path).length > 0) return undefined;
  const { key, record } = newApiKey('development admin', ['admin'], new Date());
  writeKeyFile(path, [record]);
  return key;
}

function openKeyStore(path: string, logger: Logger): ApiKeyStore {
  let store: ApiKeyStore;
  try {
    store = new ApiKeyStore(path, {
      onReload: (count) => logger.info({ file: path, keys: count }, 'API keys reloaded'),
      onError: (message) => logger.error({ file: path }, message),
    });
  } catch (error) {
    throw new CertificateError(
      'invalid_config',
      `Expected \`API_KEYS_FILE\` to name a keys file made by \`npm run keys -- create\`, got ${(error as Error).message}`,
    );
  }
  return store.watch();
}

/**
 * The authenticator an instance checks requests with, from its settings: the keys file (followed
 * for changes), and the identity provider's verifier when one is configured (`tokens`).
 */
export function startCredentials(settings: AuthSettings, logger: Logger, tokens?: TokenVerifier): Credentials {
  const { apiKeysFile, development, disabled } = settings;
  if (disabled) {
    logger.warn(
      'AUTHENTICATION IS DISABLED (AUTH_DISABLED=1): every request on this loopback address acts with every role. For measurements only; never in production.',
    );
  }
  const developmentKey = development && !disabled && apiKeysFile !== undefined ? ensureDevelopmentKey(apiKeysFile) : undefined;
  // With authentication off no key is asked for, so none is read (nor made).
  const keys = apiKeysFile === undefined || disabled ? undefined : openKeyStore(apiKeysFile, logger);
  if (keys !== undefined) logger.info({ file: apiKeysFile, keys: keys.size }, 'API keys read');
  return {
    authenticator: new Authenticator({ disabled, ...(keys === undefined ? {} : { keys }), ...(tokens === undefined ? {} : { tokens }) }),
    developmentKey,
    reload: () => keys?.reload(true),
    close: () => keys?.close(),
  };
}

/** What a newcomer's terminal shows once: the development key and a request that works with it. */
export function developmentKeyNotice(key: string, file: string, baseUrl: string): string {
  return [
    '',
    `A development admin API key was created (only its hash is kept, in ${file}); it is shown this once:`,
    '',
    `  ${key}`,
    '',
    'Issue a certificate with it:',
    '',
    `  curl -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{"name":"Ada Lovelace","amount":100,"class":"CS"}' ${baseUrl}/certificates`,
    '',
    'More keys: npm run keys -- create --name NAME --role ROLE (docs/operations.md, "API keys").',
    '',
  ].join('\n');
}
