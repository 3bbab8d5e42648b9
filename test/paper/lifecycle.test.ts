import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { eventId, type EventDone, type EventRequest } from '../../src/core/events.js';
import type { Terms } from '../../src/core/terms.js';
import { certificateDigest } from '../../src/paper/digest.js';
import { decodeProofLink } from '../../src/paper/proof-link.js';
import { printedDate } from '../../src/paper/standing.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { AUTHORIZATION } from '../support/credentials.js';
import { readPdf, renderedDom } from '../support/paper-tools.js';
import { runVerify } from '../support/verify-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'paper-lifecycle-'));
const LEGEND = {
  id: 'sa-1933',
  name: 'Securities Act legend',
  text: 'THE SHARES REPRESENTED HEREBY HAVE NOT BEEN REGISTERED UNDER THE SECURITIES ACT OF 1933 AND MAY NOT BE SOLD OR TRANSFERRED WITHOUT REGISTRATION OR AN EXEMPTION THEREFROM.',
};
const TERMS: Terms = { holder: 'stk-zoe', legends: [LEGEND.id], approvedOn: '2026-11-02', exemption: 'Rule 506(b)' };
let app: TestApp;
let requests = 0;
let legended: Certificate;
let transfer: EventDone;
let reissuance: EventDone;

/** As the writer's actor takes an event from the edge: who asks and the request id added. */
function act(request: Omit<EventRequest, 'principal' | 'requestId'>): Promise<EventDone> {
  return app.sequencers.act({ ...request, principal: 'key:test', requestId: `lifecycle-${++requests}` } as EventRequest);
}

async function issue(name: string, amount: number, terms?: Terms): Promise<Certificate> {
  const issued = await app.sequencers.issue({
    class: 'CS',
    name,
    amount,
    ...(terms === undefined ? {} : { terms }),
    principal: 'key:test',
    requestId: `lifecycle-${++requests}`,
  });
  return issued.certificate;
}

async function pdfOf(id: string): Promise<Buffer> {
  const response = await fetch(`${app.url}/certificates/${id}`, { headers: { ...AUTHORIZATION, Accept: 'application/pdf' } });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const verify = (...args: string[]) => runVerify(args);

beforeAll(async () => {
  app = await startApp(uniqueTopic('paper-lifecycle'), [{ code: 'CS', authorized: 1_000_000 }]);
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(app.signing!.publicSet()));
  await act({ event: 'legend', class: 'CS', legend: LEGEND });
  legended = await issue('Zoë Ångström', 1000, TERMS); // CS-1
  await issue('Seller', 1000); // CS-2
  await issue('Loser', 300); // CS-3
  transfer = await act({ event: 'transfer', class: 'CS', certificate: 'CS-2', transferees: [{ name: 'Buyer', amount: 400 }] });
  await act({ event: 'stop', class: 'CS', certificate: 'CS-3', reason: 'reported lost' });
  reissuance = await act({ event: 'reissuance', class: 'CS', certificate: 'CS-3', reason: 'replaced after loss' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the paper of a certificate after events (real broker, real PDFs)', () => {
  it('prints a transferred certificate CANCELLED, with when, by which event, and what replaced it', async () => {
    expect(transfer.results.map(({ id }) => id)).toEqual(['CS-4', 'CS-5']);
    const { text, pages } = readPdf(await pdfOf('CS-2'));
    expect(pages).toBe(1);
    const on = printedDate(transfer.event.record.at);
    expect(text).toContain(`CANCELLED on ${on} by transfer ${eventId(transfer.event)}; replaced by CS-4, CS-5`);
    // The number stays the page's first line, and the certifying sentence whole: the mark is drawn, not text.
    expect(text).toMatch(/^No\. CS-2 1,000 Shares /);
    expect(text).toContain('This certifies that Seller is the registered holder of One Thousand (1,000) fully paid');
    expect(readPdf(await pdfOf('CS-4')).text).not.toMatch(/CANCELLED|SUPERSEDED|STOPPED/);
  });

  it('prints a reissued certificate SUPERSEDED, naming its successor', async () => {
    const [successor] = reissuance.results;
    expect(successor!.id).toBe('CS-6');
    const { text } = readPdf(await pdfOf('CS-3'));
    expect(text).toContain(
      `SUPERSEDED on ${printedDate(reissuance.event.record.at)} by reissuance ${eventId(reissuance.event)}; replaced by CS-6`,
    );
  });

  it('prints the legends a certificate bears in full, headed in capitals, with its holder id, approval date and exemption', async () => {
    const { text } = readPdf(await pdfOf('CS-1'));
    expect(text).toContain('RESTRICTIVE LEGENDS');
    expect(text).toContain('SECURITIES ACT LEGEND (legend sa-1933)');
    expect(text).toContain(LEGEND.text);
    expect(text).toContain('Holder id stk-zoe');
    expect(text).toContain('Board approval November 2, 2026');
    expect(text).toContain('Exemption Rule 506(b)');
    const html = await (await fetch(`${app.url}/certificates/CS-1`, { headers: { ...AUTHORIZATION, Accept: 'text/html' } })).text();
    expect(html).toContain('<h2>RESTRICTIVE LEGENDS</h2><h3>SECURITIES ACT LEGEND (legend sa-1933)</h3>');
    expect(html).toContain(LEGEND.text);
  });
});

describe('verification of a certificate after events', () => {
  it('answers a superseded certificate "genuine, but superseded by" its successor, never genuine alone', async () => {
    const superseded = (await app.node.find('CS', 3))!;
    const url = `${app.url}/certificates/CS-3/verify?digest=${certificateDigest(superseded)}`;
    const on = printedDate(reissuance.event.record.at);
    expect(await (await fetch(url)).json()).toMatchObject({
      matches: true,
      status: 'superseded',
      verdict: `Genuine, but superseded by CS-6 on ${on}`,
      closedBy: { id: eventId(reissuance.event), type: 'reissuance', at: reissuance.event.record.at },
      replacedBy: ['CS-6'],
    });
    const page = await (await fetch(url, { headers: { Accept: 'text/html' } })).text();
    expect(page).toContain(`Genuine, but superseded by CS-6 on ${on}`);
    expect(page).not.toContain('✓');
    const cancelled = await (
      await fetch(`${app.url}/certificates/CS-2/verify?digest=${certificateDigest((await app.node.find('CS', 2))!)}`)
    ).json();
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      verdict: `Genuine, but cancelled on ${printedDate(transfer.event.record.at)}, replaced by CS-4, CS-5`,
    });
  });

  it('finds a certificate with terms genuine offline from its PDF, its QR code carrying the terms; says its status is not checked, and asked online names the closure', async () => {
    const pdf = await pdfOf('CS-1');
    writeFileSync(join(dir, 'CS-1.pdf'), pdf);
    const [link] = readPdf(pdf).qrCodes;
    const decoded = decodeProofLink(link!);
    if ('malformed' in decoded) throw new Error(decoded.malformed);
    // Everything signed, and nothing else (CS-1 was issued alone: it has no origin).
    expect(decoded.certificate).toEqual(legended);
    expect(decoded.certificate.terms).toEqual(TERMS);

    const offline = await verify('--keys', join(dir, 'jwks.json'), join(dir, 'CS-1.pdf'));
    expect(offline.out).toContain('GENUINE: CS-1 was signed by key');
    expect(offline.out).toMatch(/holder id +stk-zoe\n/);
    expect(offline.out).toMatch(/legends +sa-1933\n/);
    expect(offline.out).toContain('NOT CHECKED: the signature proves issuance, not that CS-1 is still outstanding');
    expect(offline.out).toContain(`${app.url}/certificates/CS-1/verify?digest=${certificateDigest(legended)}`);
    expect(offline.status).toBe(0);

    const online = await verify('--keys', join(dir, 'jwks.json'), '--issuer', app.url, join(dir, 'CS-1.pdf'));
    expect(online.out).toMatch(/status +outstanding, per /);
    expect(online.status).toBe(0);

    writeFileSync(join(dir, 'CS-2.pdf'), await pdfOf('CS-2'));
    const closed = await verify('--keys', join(dir, 'jwks.json'), '--issuer', app.url, join(dir, 'CS-2.pdf'));
    expect(closed.out).toContain(`CANCELLED: CS-2 was signed by key`);
    expect(closed.out).toContain(
      `but CANCELLED on ${printedDate(transfer.event.record.at)} by transfer ${eventId(transfer.event)}; replaced by CS-4, CS-5`,
    );
    expect(closed.out).not.toContain('GENUINE');
    expect(closed.status).toBe(3);
  }, 120_000);

  it('checks a certificate with terms on the verification page in Chromium, shows its terms, and links to where it stands now', async () => {
    const [link] = readPdf(await pdfOf('CS-1')).qrCodes;
    const dom = await renderedDom(link!);
    expect(dom).toContain('<body data-verdict="genuine">');
    expect(dom).toContain('id="holder-id">stk-zoe</dd>');
    expect(dom).toContain('id="legends">sa-1933</dd>');
    expect(dom).toContain('The signature proves that CS-1 was issued, not that it is still outstanding');
    expect(dom).toContain(`href="${app.url}/certificates/CS-1/verify?digest=${certificateDigest(legended)}"`);
  }, 120_000);
});
