/**
 * The service the console tests drive: the real process (test/support/service.ts) with the console
 * built into dist/console first, and, when asked, the test identity provider with a client for the
 * console's sign-in (authorization code with PKCE).
 */
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { startService, type RunningService } from '../support/service.js';

export interface ConsoleService extends RunningService {
  /** The name the console shows for whoever signs in at the provider. */
  readonly oidcPrincipal: string;
}

let built = false;
/** Builds the console once per test file, as `npm run build` does. */
export function buildConsole(): void {
  if (built) return;
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-console.ts'], { stdio: 'inherit' });
  built = true;
}

export async function startConsoleService(env: Record<string, string>): Promise<ConsoleService> {
  buildConsole();
  const service = await startService(env);
  return Object.assign(service, { oidcPrincipal: '' });
}

/** Signs in through the identity provider: the console's link, the provider's own pages, back to the console. */
export async function oidcSignIn(page: Page, service: ConsoleService): Promise<void> {
  await page.getByRole('link', { name: /^Sign in with/ }).click();
  await page.waitForURL((url) => url.origin === new URL(service.url).origin && url.pathname === '/console/');
}
