/**
 * What the service reads from an OpenID provider over the network, bounded in time and size: its
 * discovery document (OpenID Connect Discovery 1.0 §4), and, through `boundedFetch`, its keys.
 */

/** Longest the service waits for the provider's discovery document or keys. */
export const PROVIDER_TIMEOUT_MS = 5000;

/** Largest discovery document or key set read: real ones are a few KiB, one with certificate chains tens. */
export const MAX_PROVIDER_DOCUMENT_BYTES = 256 * 1024;

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Whether the service may trust what comes from this URL: `https://`, or `http://` on a loopback
 * address (a provider on the same machine: tests and development), whose traffic never leaves it.
 */
export function isTrustedProviderUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.test(url.hostname));
}

/**
 * GETs the URL and reads at most MAX_PROVIDER_DOCUMENT_BYTES of its body: a larger body, a redirect
 * (the URL was checked, not where it leads) or an answer slower than PROVIDER_TIMEOUT_MS rejects.
 * Its signature is jose's `customFetch`, so the keys are read under the same bounds.
 */
export async function boundedFetch(
  url: string,
  init: {
    readonly signal?: AbortSignal;
    readonly headers?: Headers;
    readonly method?: 'GET' | 'POST';
    readonly body?: URLSearchParams;
  } = {},
): Promise<Response> {
  const signal = AbortSignal.any([AbortSignal.timeout(PROVIDER_TIMEOUT_MS), ...(init.signal ? [init.signal] : [])]);
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'error',
    signal,
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body ? { body: init.body } : {}),
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader !== undefined) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_PROVIDER_DOCUMENT_BYTES) {
      await reader.cancel();
      throw new Error(`Expected at most ${MAX_PROVIDER_DOCUMENT_BYTES} bytes from ${url}, got more`);
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

/** What the service needs from the provider's discovery document. */
export interface ProviderMetadata {
  readonly jwksUri: URL;
  /** Where a browser signs in, and where its code is exchanged (the console's sign-in, src/auth/oidc-sign-in.ts); absent if not published. */
  readonly authorizationEndpoint?: URL;
  readonly tokenEndpoint?: URL;
}

function endpoint(value: unknown): URL | undefined {
  return typeof value === 'string' && URL.canParse(value) && isTrustedProviderUrl(new URL(value)) ? new URL(value) : undefined;
}

/**
 * Reads the issuer's discovery document and checks it is the issuer's own (its `issuer` is exactly
 * the configured one, §4.3) and that its keys are at a trusted URL.
 */
export async function discoverProvider(issuer: string): Promise<ProviderMetadata> {
  // §4: the issuer without a terminating slash, then the well-known path.
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await boundedFetch(url);
  if (response.status !== 200) throw new Error(`Expected 200 from ${url}, got ${response.status}`);
  let document: unknown;
  try {
    document = await response.json();
  } catch {
    throw new Error(`Expected a JSON discovery document at ${url}, got something else`);
  }
  const fields = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown; authorization_endpoint?: unknown; token_endpoint?: unknown };
  if (fields.issuer !== issuer)
    throw new Error(`Expected the discovery document at ${url} to name issuer ${issuer}, got ${JSON.stringify(fields.issuer)}`);
  const jwksUri = typeof fields.jwks_uri === 'string' && URL.canParse(fields.jwks_uri) ? new URL(fields.jwks_uri) : undefined;
  if (jwksUri === undefined || !isTrustedProviderUrl(jwksUri))
    throw new Error(
      `Expected the discovery document at ${url} to give an https:// jwks_uri (http:// only on loopback), got ${JSON.stringify(fields.jwks_uri)}`,
    );
  const authorizationEndpoint = endpoint(fields.authorization_endpoint);
  const tokenEndpoint = endpoint(fields.token_endpoint);
  return {
    jwksUri,
    ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
  };
}

/** What went wrong, for logs and answers: fetch's own message is `fetch failed`, its reason (ECONNREFUSED, a timeout) the cause's. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
