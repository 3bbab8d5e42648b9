import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import type { Proof } from '../../src/core/seal.js';
import { VERIFY_PAGE_SECURITY_POLICY, VERIFY_SCRIPT, verifyPage } from '../../src/http/verify-page.js';
import { decodeProofLink, encodeProof, PROOF_LINK_PREFIX } from '../../src/paper/proof-link.js';
import { publicKeySet } from '../../src/signing/public-keys.js';
import type { PublicJwk, SigningKeys } from '../../src/signing/signing-keys.js';
import { encodeRecords } from '../../src/core/record-format.js';
import { certificateDigest } from '../../src/paper/digest.js';
import { verifyLink } from '../../src/verify/verdict.js';
import { ledgerOn } from '../support/settings.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { AUTHORIZATION } from '../support/credentials.js';
import { concurrently, issue } from '../support/http.js';
import { readPdf, renderedDom } from '../support/paper-tools.js';

const classes = [{ code: 'CS', authorized: 1_000_000 }];
const EARLY = {
  id: 'CS-1',
  class: 'CS',
  number: 1,
  name: 'Early Holder',
  amount: 5,
  issuedAt: new Date().toISOString(),
  sharesIssued: 5,
  offset: 0,
  request: 'before-signing:1',
};
let app: TestApp;
let link: string | undefined;
let published: readonly PublicJwk[];
const dirs: string[] = [];

beforeAll(async () => {
  const topic = uniqueTopic('verify-page');
  // A certificate from before signing: written unsigned at the start of the log, before any seal.
  const before = ledgerOn(topic, 'before-signing');
  await before.connect();
  await before.append(encodeRecords([EARLY]));
  await before.disconnect();
  app = await startApp(topic, classes);
  published = app.signing!.publicSet().keys;
  // Issued together, so that the writer batches them: the paper of one in a write of several has a path.
  await concurrently(6, 6, () => issue(app.url, 'CS', 1250, 'Zoë Ångström'));
  for (let number = 7; number > 1 && link === undefined; number--) {
    const pdf = await fetch(`${app.url}/certificates/CS-${number}`, { headers: { ...AUTHORIZATION, Accept: 'application/pdf' } });
    const [scanned] = readPdf(Buffer.from(await pdf.arrayBuffer())).qrCodes;
    const decoded = decodeProofLink(scanned ?? '');
    if (!('malformed' in decoded) && decoded.proof.path.length > 0) link = scanned!;
  }
});

afterAll(async () => {
  await app?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The page saved to a file with its script beside it, as a browser's "Save page" keeps it: opened with no server. */
function savedPage(keys: readonly PublicJwk[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'verify-page-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'verify.html'), verifyPage(keys));
  writeFileSync(join(dir, 'verify.js'), VERIFY_SCRIPT);
  return `file://${join(dir, 'verify.html')}`;
}

/** What the page shows for a fragment once its script has run in Chromium: its verdict, reason code, and text. */
async function pageVerdict(pageUrl: string, fragment: string) {
  const dom = await renderedDom(`${pageUrl}#${fragment}`);
  const body = /<body([^>]*)>/.exec(dom)?.[1] ?? '';
  const verdict = /data-verdict="([^"]*)"/.exec(body)?.[1];
  return {
    status: ({ genuine: 'genuine', 'not-genuine': 'not_genuine' } as Record<string, string>)[verdict ?? ''] ?? verdict,
    reason: /data-reason="([^"]*)"/.exec(body)?.[1],
    dom,
  };
}

const fragmentOf = (certificate: Certificate, proof: Proof): string => `${PROOF_LINK_PREFIX}${encodeProof(certificate, proof)}`;

describe('GET /verify, the offline verification page (real broker)', () => {
  it('is served without credentials, with the published keys in it, under a policy that runs only its own script file and fetches nothing', async () => {
    const response = await fetch(`${app.url}/verify`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy')!;
    expect(policy).toBe(VERIFY_PAGE_SECURITY_POLICY);
    expect(policy).toContain("default-src 'none'; script-src 'self';");
    expect(policy).toContain("require-trusted-types-for 'script'");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*(type="application\/json"|src="verify\.js"))/);
    const keys = JSON.parse(/<script type="application\/json" id="published-keys">(.*?)<\/script>/s.exec(html)![1]!) as unknown;
    expect(keys).toEqual({ keys: published });
    // The one style is allowed by its hash.
    const style = /<style>(.*?)<\/style>/s.exec(html)![1]!;
    expect(policy).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    const script = await fetch(`${app.url}/verify.js`);
    expect([script.status, script.headers.get('content-type'), await script.text()]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      VERIFY_SCRIPT,
    ]);
  });

  it('shows a real paper’s QR link genuine in Chromium, served over http, with the key and the time it was signed', async () => {
    const decoded = decodeProofLink(link!);
    if ('malformed' in decoded) throw new Error(decoded.malformed);
    expect(link!.startsWith(`${app.url}/verify#v1.`)).toBe(true);
    const { status, dom } = await pageVerdict(`${app.url}/verify`, link!.slice(link!.indexOf('#') + 1));
    expect(status).toBe('genuine');
    const { head, hash } = decoded.proof.seal;
    expect(dom).toContain(`Signed by key ${head.key} at ${head.at}`);
    for (const [id, value] of [
      ['id', decoded.certificate.id],
      ['holder', 'Zoë Ångström'],
      ['shares', '1,250'],
      ['head', hash],
    ]) {
      expect(dom).toContain(`id="${id}">${value}</dd>`);
    }
  });

  it(
    'agrees with src/core on a real receipt and on every kind of tampered one: the same verdict and the same reason',
    { timeout: 240_000 },
    async () => {
      const decoded = decodeProofLink(link!);
      if ('malformed' in decoded) throw new Error(decoded.malformed);
      const { certificate, proof } = decoded;
      const trusted = publicKeySet(JSON.stringify({ keys: published }), 'published');
      const signature = Buffer.from(proof.seal.signature, 'base64');
      signature[7]! ^= 1;
      const retiredKeys = published.map((key) => ({ ...key, retiredAt: new Date(Date.parse(proof.seal.head.at) - 1).toISOString() }));
      const page = savedPage(published);
      const cases: ReadonlyArray<readonly [string, string, string?, SigningKeys?]> = [
        ['genuine', fragmentOf(certificate, proof)],
        ['holder altered', fragmentOf({ ...certificate, name: 'Zoe Ångström' }, proof)],
        ['amount altered', fragmentOf({ ...certificate, amount: certificate.amount - 1 }, proof)],
        [
          'path altered',
          fragmentOf(certificate, {
            ...proof,
            path: proof.path.map((sibling, level) => (level === 0 ? sibling.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sibling)),
          }),
        ],
        ['signature altered', fragmentOf(certificate, { ...proof, seal: { ...proof.seal, signature: signature.toString('base64') } })],
        ['unknown key', fragmentOf(certificate, { ...proof, seal: { ...proof.seal, head: { ...proof.seal.head, key: 'sk-forger' } } })],
        [
          'retired key',
          fragmentOf(certificate, proof),
          savedPage(retiredKeys),
          publicKeySet(JSON.stringify({ keys: retiredKeys }), 'retired'),
        ],
        ['path too long', fragmentOf(certificate, { ...proof, path: [...proof.path, proof.path[0]!] })],
        ['cut short', fragmentOf(certificate, proof).slice(0, 120)],
        ['not a proof', 'v1.not*base64'],
      ];
      const results: Record<string, unknown> = {};
      for (const [label, fragment, pageUrl = page, verifier = trusted] of cases) {
        const core = verifyLink(`https://anywhere.example/verify#${fragment}`, verifier);
        const browser = await pageVerdict(pageUrl, fragment);
        const fromCore = { status: core.status, reason: core.status === 'not_genuine' ? core.reason : undefined };
        expect({ label, browser: { status: browser.status, reason: browser.reason } }).toEqual({ label, browser: fromCore });
        results[label] = fromCore.reason ?? fromCore.status;
      }
      expect(results).toEqual({
        genuine: 'genuine',
        'holder altered': 'bad_signature',
        'amount altered': 'bad_signature',
        'path altered': 'bad_signature',
        'signature altered': 'bad_signature',
        'unknown key': 'untrusted_key',
        'retired key': 'retired_key',
        'path too long': 'malformed',
        'cut short': 'malformed',
        'not a proof': 'malformed',
      });
    },
  );

  it('leaves a certificate from before signing the link the service checks, which the service answers and no offline check claims', async () => {
    const pdf = await fetch(`${app.url}/certificates/CS-1`, { headers: { ...AUTHORIZATION, Accept: 'application/pdf' } });
    const { qrCodes, text } = readPdf(Buffer.from(await pdf.arrayBuffer()));
    const digest = certificateDigest({ ...EARLY });
    expect(qrCodes).toEqual([`${app.url}/certificates/CS-1/verify?digest=${digest}`]);
    expect(text).not.toContain('Signing key');
    expect(await (await fetch(qrCodes[0]!)).json()).toMatchObject({ id: 'CS-1', matches: true });
    expect(verifyLink(qrCodes[0]!, publicKeySet(JSON.stringify({ keys: published }), 'published'))).toMatchObject({
      status: 'cannot_check',
    });
  });
});
