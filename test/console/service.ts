/**
 * The service the console tests drive: the real process (test/support/service.ts) with the console
 * built into dist/console first, beside the test identity provider with a client for the console's
 * sign-in (authorization code with PKCE) whose people are test/support/oidc-clients.ts's USER_ROLES.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CONSOLE_CLIENT, clientSecret, type UserId } from '../support/oidc-clients.js';
import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../support/oidc-provider.js';
import { freePort, startService, type RunningService } from '../support/service.js';

export interface ConsoleService extends RunningService {
  readonly provider: TestProvider;
}

/** Builds the console as `npm run build` does (esbuild, well under a second). */
function buildConsole(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-console.ts'], { stdio: 'inherit' });
}

export async function startConsoleService(env: Record<string, string>): Promise<ConsoleService> {
  buildConsole();
  const port = await freePort();
  const provider = await startOidcProvider({ consoleRedirectUris: [`http://127.0.0.1:${port}/console/oidc/callback`] });
  const secretFile = join(mkdtempSync(join(tmpdir(), 'console-client-')), 'secret');
  writeFileSync(secretFile, clientSecret(CONSOLE_CLIENT));
  const service = await startService(
    {
      // Where the browser reaches it: the callback the provider sends the browser back to, and the only Origin it accepts.
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: TEST_AUDIENCE,
      OIDC_CONSOLE_CLIENT_ID: CONSOLE_CLIENT,
      OIDC_CONSOLE_CLIENT_SECRET_FILE: secretFile,
      OIDC_CONSOLE_SCOPE: 'openid certificates',
      ...env,
    },
    port,
  );
  return Object.assign(service, { provider });
}

/** Signs in as a person through the identity provider: the console's link, the provider's own page, back to the console. */
export async function oidcSignIn(page: Page, service: ConsoleService, person: UserId): Promise<void> {
  await page.getByRole('link', { name: /^Sign in with/ }).click();
  await page.waitForURL((url) => url.origin === service.provider.issuer);
  await page.getByLabel(/^Account/).fill(person);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === new URL(service.url).origin && url.pathname === '/console/');
}
