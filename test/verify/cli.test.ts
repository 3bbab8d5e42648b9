import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFace, letterhead } from '../../src/paper/face.js';
import { renderPdf } from '../../src/paper/pdf.js';
import { decodeProofLink, encodeProof } from '../../src/paper/proof-link.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { uniqueTopic } from '../support/broker.js';
import { AUTHORIZATION, KEYS_ENV } from '../support/credentials.js';
import { concurrently, issue } from '../support/http.js';
import { readPdf, renderedDom } from '../support/paper-tools.js';
import { startService, type RunningService } from '../support/service.js';
import { runVerify } from '../support/verify-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
const COMPANY = 'Salt Bae Holdings, Inc.';
let service: RunningService;
/** What the paper's QR code holds, read off the PDF the service printed. */
let link: string;

const verify = (...args: string[]) => runVerify(args, KEYS_ENV);

beforeAll(async () => {
  service = await startService({ KAFKA_TOPIC: uniqueTopic('verify-cli'), SHARE_CLASSES: 'CS=1000000', COMPANY_NAME: COMPANY });
  await concurrently(3, 3, () => issue(service.url, 'CS', 1250, 'Zoë Ångström'));
  const pdf = Buffer.from(
    await (await fetch(`${service.url}/certificates/CS-2`, { headers: { ...AUTHORIZATION, Accept: 'application/pdf' } })).arrayBuffer(),
  );
  writeFileSync(join(dir, 'cert.pdf'), pdf);
  [link] = readPdf(pdf).qrCodes as [string];
  // The verification page as a holder saves it from the service: the page, its script beside it.
  const page = await (await fetch(`${service.url}/verify`)).text();
  writeFileSync(join(dir, 'verify.html'), page);
  writeFileSync(join(dir, 'verify.js'), await (await fetch(`${service.url}/verify.js`)).text());
  writeFileSync(join(dir, 'jwks.json'), /<script type="application\/json" id="published-keys">(.*?)<\/script>/s.exec(page)![1]!);
  // Everything below runs with the service gone: nothing can ask it anything.
  expect(await service.stop()).toBe(0);
  await expect(fetch(`${service.url}/verify`)).rejects.toThrow();
}, 180_000);

afterAll(async () => {
  await service?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The same link with one letter of the holder's name changed, the proof untouched. */
function forgedLink(): string {
  const decoded = decodeProofLink(link);
  if ('malformed' in decoded) throw new Error(decoded.malformed);
  return `${link.slice(0, link.indexOf('#'))}#v1.${encodeProof({ ...decoded.certificate, name: 'Zoe Ångström' }, decoded.proof)}`;
}

describe('npm run verify, offline, the service stopped (real broker, real service process)', () => {
  it('finds the URL read off the PDF’s QR code genuine, names the key and the time, and prints the fields', async () => {
    const decoded = decodeProofLink(link);
    if ('malformed' in decoded) throw new Error(decoded.malformed);
    const { head } = decoded.proof.seal;
    // Keys by default: the public halves of SIGNING_KEY_FILE, the service's own file.
    const { status, out } = await verify(link);
    expect(out).toContain(`GENUINE: CS-2 was signed by key ${head.key} at ${head.at}`);
    expect(out).toMatch(/holder +Zoë Ångström\n/);
    expect(out).toMatch(/shares +1,250 \(One Thousand Two Hundred Fifty\)\n/);
    expect(status).toBe(0);
  });

  it('finds the PDF genuine with the published keys, and a PDF with one letter of the name changed, its QR code intact, not genuine', async () => {
    expect(await verify('--keys', join(dir, 'jwks.json'), join(dir, 'cert.pdf'))).toMatchObject({
      status: 0,
      out: expect.stringContaining('GENUINE: CS-2'),
    });

    const decoded = decodeProofLink(link);
    if ('malformed' in decoded) throw new Error(decoded.malformed);
    const genuine = certificateFace(
      decoded.certificate,
      letterhead(COMPANY, [{ code: 'CS' }]),
      link.slice(0, link.indexOf('/verify#')),
      decoded.proof,
    );
    expect(genuine.verifyUrl).toBe(link);
    writeFileSync(join(dir, 'forged.pdf'), await renderPdf({ ...genuine, holder: 'Zoe Ångström' }));
    expect(readPdf(await renderPdf({ ...genuine, holder: 'Zoe Ångström' })).qrCodes).toEqual([link]);
    const { status, out } = await verify('--keys', join(dir, 'jwks.json'), join(dir, 'forged.pdf'));
    expect(out).toContain('NOT GENUINE (altered_print): the printed holder, shares in words and in figures "Zoe Ångström');
    expect(status).toBe(1);
  });

  it('finds a URL whose holder was changed not genuine, a key set without its key not genuine, and says what it cannot check', async () => {
    expect(await verify(forgedLink())).toMatchObject({ status: 1, out: expect.stringContaining('NOT GENUINE (bad_signature)') });
    const stranger = new SigningKeys(signingKeysOf([newStoredKey(new Date(Date.now() - 60_000))], 'stranger'));
    writeFileSync(join(dir, 'other-keys.json'), JSON.stringify(stranger.publicSet()));
    expect(await verify('--keys', join(dir, 'other-keys.json'), link)).toMatchObject({
      status: 1,
      out: expect.stringContaining('NOT GENUINE (untrusted_key)'),
    });
    expect(await verify(`${service.url}/certificates/CS-1/verify?digest=0123456789abcdef`)).toMatchObject({
      status: 2,
      out: expect.stringContaining('CANNOT CHECK OFFLINE: the certificate is from before signing'),
    });
    expect(await verify(join(dir, 'jwks.json'))).toMatchObject({ status: 2, out: expect.stringContaining('is not a PDF certificate') });
    expect(await verify(join(dir, 'missing.pdf'))).toMatchObject({ status: 2, out: expect.stringContaining('no such file') });
    expect(await verify()).toMatchObject({ status: 2, out: expect.stringContaining('Usage: npm run verify') });
  });
});

describe('the verification page saved from the service, opened in Chromium with the service stopped', () => {
  it(
    'shows the QR code’s link genuine, with the key and the time, and the link with the holder changed not genuine',
    { timeout: 120_000 },
    async () => {
      const decoded = decodeProofLink(link);
      if ('malformed' in decoded) throw new Error(decoded.malformed);
      const { head } = decoded.proof.seal;
      const page = `file://${join(dir, 'verify.html')}`;
      const genuine = await renderedDom(`${page}#${link.slice(link.indexOf('#') + 1)}`);
      expect(genuine).toContain('<body data-verdict="genuine">');
      expect(genuine).toContain(`Signed by key ${head.key} at ${head.at}`);
      expect(genuine).toContain('id="holder">Zoë Ångström</dd>');
      const forged = forgedLink();
      const tampered = await renderedDom(`${page}#${forged.slice(forged.indexOf('#') + 1)}`);
      expect(tampered).toContain('<body data-verdict="not-genuine" data-reason="bad_signature">');
      expect(tampered).not.toContain('Zoe Ångström');
    },
  );
});
