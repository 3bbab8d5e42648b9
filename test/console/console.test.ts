/**
 * The console in a real browser (issue 34): Debian's Chromium, headless, against the real service,
 * broker and identity provider. One story, in order: sign in through the provider, issue from the
 * keyboard and see it arrive live in a second browser, read back the PDF, transfer part, audit,
 * a reader refused, a double submission issuing once, sign out; axe-core on every page.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newApiKey } from '../../src/auth/api-keys.js';
import { readKeyFile, writeKeyFile } from '../../src/auth/key-file.js';
import { uniqueTopic } from '../support/broker.js';
import { ADMIN } from '../support/credentials.js';
import { readPdf } from '../support/paper-tools.js';
import { launch, screenshot, seriousViolations } from './browser.js';
import { startConsoleService, oidcSignIn, type ConsoleService } from './service.js';

const reader = newApiKey('console reader', ['certificates:read'], new Date());
let service: ConsoleService;
let browser: Browser;
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: service.url, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

async function signInWithKey(page: Page, key: string): Promise<void> {
  await page.goto('/console/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in with an API key' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cap table' }).waitFor();
}

async function certificatesIssued(): Promise<number> {
  const response = await fetch(`${service.url}/classes`, { headers: { authorization: `Bearer ${ADMIN.key}` } });
  const { classes } = (await response.json()) as { classes: Array<{ certificates: number }> };
  return classes.reduce((sum, c) => sum + c.certificates, 0);
}

beforeAll(async () => {
  const keys = join(mkdtempSync(join(tmpdir(), 'console-keys-')), 'api-keys.json');
  writeKeyFile(keys, [...readKeyFile(ADMIN.file).keys, reader.record]);
  service = await startConsoleService({ KAFKA_TOPIC: uniqueTopic('console'), API_KEYS_FILE: keys });
  browser = await launch();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
  await service?.provider.stop();
});

describe('the console in Chromium', () => {
  let secretary: Page;
  let watcher: Page;
  let issuedId = '';

  it('shows an accessible sign-in page and signs in through the identity provider (code + PKCE)', async () => {
    secretary = await newPage();
    await secretary.goto('/console/');
    await secretary.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
    expect(await seriousViolations(secretary)).toEqual([]);
    await screenshot(secretary, 'sign-in');
    await oidcSignIn(secretary, service, 'secretary');
    await secretary.getByRole('heading', { level: 1, name: 'Cap table' }).waitFor();
    await expect.poll(() => secretary.getByText('Signed in as').textContent()).toContain('secretary');
    // The secretary's roles offer issuing, not the audit (audit:read).
    expect(await secretary.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual([
      'Cap table',
      'Issue',
    ]);
  });

  it('issues from the keyboard alone, and a second signed-in browser sees it arrive without reloading', async () => {
    watcher = await newPage();
    await signInWithKey(watcher, ADMIN.key);
    await watcher.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    await secretary.goto('/console/#/issue');
    await secretary.getByRole('heading', { level: 1, name: 'Issue a certificate' }).waitFor();
    expect(await seriousViolations(secretary)).toEqual([]);
    const focused = async (): Promise<string> => (await secretary.locator(':focus').getAttribute('id')) ?? '';
    const order: string[] = [];
    for (const [id, keys] of [
      ['issue-class', null],
      ['issue-name', 'Ada Lovelace'],
      ['issue-holder', 'ada'],
      ['issue-amount', '1000'],
      ['issue-legends', null],
    ] as const) {
      await secretary.keyboard.press('Tab');
      order.push(await focused());
      expect(order.at(-1)).toBe(id);
      if (keys) await secretary.keyboard.type(keys);
    }
    await screenshot(secretary, 'issue');
    await secretary.keyboard.press('Enter');
    const issued = secretary.getByRole('heading', { level: 2, name: /^Issued / });
    await issued.waitFor();
    issuedId = (await issued.getByRole('link').textContent())!.trim();
    expect(issuedId).toMatch(/^CS-\d+$/);
    await expect.poll(focused).toBe('issued-heading');

    await watcher.locator('#live-list').getByRole('link', { name: issuedId, exact: true }).waitFor({ timeout: 10_000 });
    expect(await watcher.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The certificates list finds it by holder id, in the class the list starts with.
    await watcher.getByLabel('Certificate id, holder id or name').fill('ada');
    await watcher.getByRole('button', { name: 'Search' }).click();
    await watcher
      .getByRole('table', { name: /^Page 1/ })
      .getByRole('link', { name: issuedId, exact: true })
      .waitFor();
    expect(await seriousViolations(watcher)).toEqual([]);
    await screenshot(watcher, 'cap-table');
  });

  it('shows the certificate, and its PDF downloads and reads back', async () => {
    await secretary.goto(`/console/#/certificates/${issuedId}`);
    await secretary.getByRole('heading', { level: 1, name: `Certificate ${issuedId}` }).waitFor();
    await secretary.getByText('Record hash').waitFor();
    expect(await secretary.locator('#status').textContent()).toContain('outstanding');
    expect(await seriousViolations(secretary)).toEqual([]);
    await screenshot(secretary, 'certificate');

    const [download] = await Promise.all([
      secretary.waitForEvent('download'),
      secretary.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${issuedId}.pdf`);
    const pdf = readPdf(readFileSync((await download.path())!));
    expect(pdf.pages).toBe(1);
    expect(pdf.text).toContain('Ada Lovelace');
    expect(pdf.text).toContain('One Thousand');
  });

  it('transfers part of it after a confirmation and shows the balance certificate', async () => {
    await secretary.getByRole('button', { name: 'Transfer…' }).click();
    await secretary.getByLabel("Transferee's name").fill('Grace Hopper');
    await secretary.getByLabel("Transferee's holder id (optional)").fill('grace');
    await secretary.getByLabel('Shares to transfer').fill('400');
    await secretary.getByRole('button', { name: 'Review' }).click();
    await expect.poll(() => secretary.locator('#confirm-text').textContent()).toContain('Transfer 400');
    // Too many shares first: the API's own refusal is shown, nothing is recorded.
    await secretary.getByLabel('Shares to transfer').fill('5000');
    await secretary.getByRole('button', { name: 'Review' }).click();
    await secretary.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => secretary.getByRole('alert').textContent()).toMatch(/shares_not_conserved|5,?000|more shares/);
    await secretary.getByLabel('Shares to transfer').fill('400');
    await secretary.getByRole('button', { name: 'Review' }).click();
    await secretary.getByRole('button', { name: 'Confirm' }).click();
    await secretary.getByRole('heading', { name: /^Recorded: transfer / }).waitFor();
    const balance = secretary.getByRole('listitem').filter({ hasText: '(balance certificate)' });
    expect(await balance.textContent()).toContain('600 shares to Ada Lovelace');
    await expect.poll(() => secretary.locator('#status').textContent()).toContain('cancelled');
    await screenshot(secretary, 'transfer');
    await balance.getByRole('link').click();
    await secretary.getByRole('heading', { level: 1, name: /^Certificate CS-\d+$/ }).waitFor();
    await expect.poll(() => secretary.locator('#status').textContent()).toContain('outstanding');
  });

  it('shows the auditor, signed in through the provider, the signed head, the void records and the OCF export', async () => {
    const auditor = await newPage();
    await auditor.goto('/console/');
    await oidcSignIn(auditor, service, 'auditor');
    expect(await auditor.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Cap table', 'Audit']);
    await auditor.getByRole('link', { name: 'Audit' }).click();
    await auditor.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await auditor.getByText('Merkle root').waitFor();
    await auditor.getByText(/No void record|Records the log holds/).waitFor();
    await auditor.getByRole('link', { name: /OCF export/ }).waitFor();
    const ocf = await auditor.evaluate(async () => (await fetch('/ocf/export')).headers.get('content-type'));
    expect(ocf).toContain('zip');
    expect(await seriousViolations(auditor)).toEqual([]);
    await screenshot(auditor, 'audit');
  });

  it('issues once when the form is submitted twice and when a lost answer is retried', async () => {
    const before = await certificatesIssued();
    const keys: string[] = [];
    let lose = true;
    await secretary.route('**/certificates', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!lose) return route.continue();
      lose = false;
      await route.fetch(); // the service issues, and the answer never reaches the page
      await route.abort('connectionreset');
    });
    await secretary.goto('/console/#/issue');
    await secretary.getByLabel("Holder's name").fill('Double Click');
    await secretary.getByLabel('Shares', { exact: true }).fill('7');
    // Two submissions in the same tick, as a double click on the button makes them.
    await secretary.locator('form.issue').evaluate((form) => {
      const submitting = form as unknown as { requestSubmit(): void };
      submitting.requestSubmit();
      submitting.requestSubmit();
    });
    await secretary.getByRole('alert').filter({ hasText: 'retry safely with the same key' }).waitFor();
    await secretary.getByRole('button', { name: 'Issue certificate' }).click();
    await secretary.getByRole('heading', { level: 2, name: /^Issued / }).waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await certificatesIssued()).toBe(before + 1);
    await secretary.unroute('**/certificates');
  });

  it('shows a reader no issue button, and the API refuses the reader that calls it anyway', async () => {
    const page = await newPage();
    await signInWithKey(page, reader.key);
    await page.getByRole('heading', { level: 2, name: 'Classes' }).waitFor();
    expect(await page.getByRole('link', { name: /Issue/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Issue/ }).count()).toBe(0);
    const answer = await page.evaluate(async () => {
      const { csrf } = (await (await fetch('/console/session')).json()) as { csrf: string };
      const response = await fetch('/certificates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ class: 'CS', name: 'Not Allowed', amount: 1 }),
      });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('insufficient_scope');
  });

  it('signs out: the session ends and the sign-in page returns', async () => {
    await secretary.goto('/console/');
    await secretary.getByRole('button', { name: 'Sign out' }).click();
    await secretary.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
    expect(await secretary.evaluate(async () => (await fetch('/console/session')).status)).toBe(401);
    expect(cspViolations).toEqual([]);
  });
});
