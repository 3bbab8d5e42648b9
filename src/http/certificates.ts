import type Router from '@koa/router';
import type { Context } from 'koa';
import { parseCertificateId, type Certificate } from '../core/certificate.js';
import type { Issuer } from './issuer.js';
import { CertificateError } from '../core/errors.js';
import { certificateDigest, isDigest } from '../paper/digest.js';
import { certificateFace, type CertificateFace } from '../paper/face.js';
import { PAGE_SECURITY_POLICY, renderHtml, renderVerification } from '../paper/html.js';
import type { Printer } from '../paper/printer.js';

const REPRESENTATIONS = ['application/json', 'application/pdf', 'text/html'] as const;

function notAcceptable(ctx: Context, offered: readonly string[]): CertificateError {
  return new CertificateError('not_acceptable', `Expected Accept to allow one of ${offered.join(', ')}, got ${ctx.get('Accept')}`, {
    details: { acceptable: offered },
  });
}

/**
 * Where verification links point when PUBLIC_URL is unset: the address and port the connection came
 * in on, which only this machine decides. Never the Host header (nor X-Forwarded-*): a client could
 * then print someone else's "Genuine" page on a real certificate, and a cache in front keyed by URL
 * would serve that paper to everyone; nor could it fill the PDF cache with one copy per Host.
 */
function listenerOrigin(ctx: Context): string {
  const { localAddress = '', localPort } = ctx.req.socket;
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return `http://${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}

async function committed(issuer: Issuer, id: string): Promise<Certificate> {
  const parsed = parseCertificateId(id);
  if (parsed === undefined) {
    throw new CertificateError('invalid_certificate_id', `Expected a certificate id such as CS-1, got ${JSON.stringify(id.slice(0, 40))}`);
  }
  const certificate = await issuer.find(parsed.class, parsed.number);
  if (certificate === undefined) throw new CertificateError('not_found', `No certificate ${id}`, { details: { id } });
  return certificate;
}

/**
 * One certificate in the representation the client accepts: JSON (the default), a printable PDF, or
 * a print-ready HTML page; and the check a verification link makes. A certificate never changes
 * once committed, so every representation is cacheable and validated by its digest.
 */
export function certificateRoutes(router: Router, issuer: Issuer, paper: Printer): void {
  const face = (ctx: Context, certificate: Certificate): CertificateFace =>
    certificateFace(certificate, paper.letterhead, paper.publicUrl ?? listenerOrigin(ctx));

  router.get('/certificates/:id', async (ctx) => {
    const type = ctx.accepts(...REPRESENTATIONS);
    if (type === false) throw notAcceptable(ctx, REPRESENTATIONS);
    const certificate = await committed(issuer, ctx.params.id!);
    const digest = certificateDigest(certificate);
    // The body first: a PDF that cannot be rendered now must answer an error without these headers.
    // Only paper needs the face (words, date, verification URL); a JSON lookup needs the digest alone.
    if (type === 'application/pdf') {
      ctx.body = await paper.renderPdf(face(ctx, certificate));
      ctx.set('Content-Disposition', `inline; filename="${certificate.id}.pdf"`);
    } else if (type === 'text/html') {
      ctx.body = renderHtml(face(ctx, certificate));
      ctx.set('Content-Security-Policy', PAGE_SECURITY_POLICY);
    } else {
      ctx.body = certificate;
    }
    ctx.type = type === 'text/html' ? 'text/html; charset=utf-8' : type;
    ctx.vary('Accept');
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.etag = `${digest}.${type.slice(type.indexOf('/') + 1)}`;
    if (ctx.fresh) ctx.status = 304;
  });

  router.get('/certificates/:id/verify', async (ctx) => {
    const type = ctx.accepts('application/json', 'text/html');
    if (type === false) throw notAcceptable(ctx, ['application/json', 'text/html']);
    const claimed = ctx.query.digest;
    if (typeof claimed !== 'string' || !isDigest(claimed)) {
      throw new CertificateError(
        'invalid_digest',
        `Expected ?digest= to be the 16 hex characters printed on the certificate, got ${JSON.stringify(claimed ?? null)}`,
      );
    }
    const certificate = await committed(issuer, ctx.params.id!);
    const printed = face(ctx, certificate);
    const digest = claimed.toLowerCase();
    const matches = digest === printed.digest;
    ctx.vary('Accept');
    if (type === 'text/html') {
      ctx.set('Content-Security-Policy', PAGE_SECURITY_POLICY);
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderVerification(printed, digest, matches);
    } else {
      ctx.body = { id: certificate.id, matches, digest: printed.digest, certificate };
    }
  });
}
