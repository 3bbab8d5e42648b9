import type Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { parseCertificateId, type Certificate } from '../core/certificate.js';
import type { Issuer } from './issuer.js';
import { CertificateError } from '../core/errors.js';
import type { Proof } from '../core/seal.js';
import { certificateDigest, isDigest } from '../paper/digest.js';
import { certificateFace, type CertificateFace } from '../paper/face.js';
import { PAGE_SECURITY_POLICY, renderHtml, renderVerification } from '../paper/html.js';
import type { Printer } from '../paper/printer.js';
import { closedNote, genuineVerdict } from '../paper/standing.js';
import type { Standing } from '../core/log-state.js';
import { isItemId, ITEM_ID_PATTERN } from '../core/terms.js';
import { historyOf, standingJson } from './events.js';
import { receiptJson } from './receipt.js';

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
export function listenerOrigin(ctx: Context): string {
  const { localAddress = '', localPort } = ctx.req.socket;
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return `http://${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}

async function lookUp(issuer: Issuer, id: string): Promise<Certificate | undefined> {
  const parsed = parseCertificateId(id);
  if (parsed === undefined) {
    throw new CertificateError('invalid_certificate_id', `Expected a certificate id such as CS-1, got ${JSON.stringify(id.slice(0, 40))}`);
  }
  return issuer.find(parsed.class, parsed.number);
}

async function committed(issuer: Issuer, id: string): Promise<Certificate> {
  const certificate = await lookUp(issuer, id);
  if (certificate === undefined) throw new CertificateError('not_found', `No certificate ${id}`, { details: { id } });
  return certificate;
}

/**
 * Where a genuine paper's certificate stands, for whoever holds the paper: as GET /certificates/{id}
 * says it (not the event that issued it: the paper does not show that), with the verdict in words
 * and a closed one's line as its paper prints it.
 */
function statusJson(standing: Standing): Record<string, unknown> {
  const note = closedNote(standing);
  const { status, closedBy } = standing;
  return {
    ...standingJson(closedBy === undefined ? { status } : { status, closedBy }),
    verdict: genuineVerdict(note),
    ...(note === undefined ? {} : { note: note.line }),
  };
}

/** What the paper itself shows of a certificate: not the class's running total, which is the cap table's. */
function printedOn(certificate: Certificate): Pick<Certificate, 'id' | 'class' | 'name' | 'amount' | 'issuedAt'> {
  const { id, class: code, name, amount, issuedAt } = certificate;
  return { id, class: code, name, amount, issuedAt };
}

/**
 * One certificate in the representation the client accepts, for callers `readGuard` lets read it:
 * JSON (the default), a printable PDF, or a print-ready HTML page; and the check a verification
 * link makes, which anyone may make. A certificate never changes once committed, so every
 * representation is validated by its digest and where it stands (its status) (answers to a reader are private: src/http/authenticate.ts).
 */
export function certificateRoutes(router: Router, issuer: Issuer, paper: Printer, readGuard: Middleware): void {
  // The paper shows the legends' text the log defines and, once an event closed it, where it went.
  const face = (ctx: Context, certificate: Certificate, proof?: Proof): CertificateFace =>
    certificateFace(certificate, paper.letterhead, paper.publicUrl ?? listenerOrigin(ctx), proof, {
      legends: certificate.terms?.legends === undefined ? [] : issuer.legends(),
      standing: issuer.standing(certificate),
    });
  // A signed certificate's paper carries its proof, read from the log, so that it verifies offline.
  const onPaper = async (ctx: Context, certificate: Certificate): Promise<CertificateFace> =>
    face(ctx, certificate, await issuer.proofOf(certificate));

  router.get('/certificates/:id', readGuard, async (ctx) => {
    const type = ctx.accepts(...REPRESENTATIONS);
    if (type === false) throw notAcceptable(ctx, REPRESENTATIONS);
    const certificate = await committed(issuer, ctx.params.id!);
    const digest = certificateDigest(certificate);
    const standing = issuer.standing(certificate);
    // The body first: a PDF that cannot be rendered now must answer an error without these headers.
    // Only paper needs the face (words, date, verification URL); a JSON lookup needs the digest alone.
    if (type === 'application/pdf') {
      ctx.body = await paper.renderPdf(await onPaper(ctx, certificate));
      ctx.set('Content-Disposition', `inline; filename="${certificate.id}.pdf"`);
    } else if (type === 'text/html') {
      ctx.body = renderHtml(await onPaper(ctx, certificate));
      ctx.set('Content-Security-Policy', PAGE_SECURITY_POLICY);
    } else {
      ctx.body = { ...certificate, ...standingJson(standing) };
    }
    ctx.type = type === 'text/html' ? 'text/html; charset=utf-8' : type;
    ctx.vary('Accept');
    // The certificate never changes once committed; where it stands does, once, when an event closes it.
    ctx.etag = `${digest}${standing.closedBy === undefined ? '' : `.${standing.closedBy.offset}`}.${type.slice(type.indexOf('/') + 1)}`;
    if (ctx.fresh) ctx.status = 304;
  });

  router.get('/certificates/:id/events', readGuard, async (ctx) => {
    const certificate = await committed(issuer, ctx.params.id!);
    ctx.body = { certificate: certificate.id, ...standingJson(issuer.standing(certificate)), events: historyOf(issuer, certificate.id) };
  });

  // A stakeholder's position: what this instance has read (a follower may trail the writer by its tail).
  router.get('/holders/:holder', readGuard, (ctx) => {
    const holder = ctx.params.holder!;
    if (!isItemId(holder)) throw new CertificateError('invalid_body', `Expected a holder id matching ${ITEM_ID_PATTERN}`);
    const held = issuer.heldBy(holder).map((certificate) => ({ ...certificate, ...standingJson(issuer.standing(certificate)) }));
    if (held.length === 0) throw new CertificateError('not_found', `No certificate names holder ${holder}`, { details: { holder } });
    const positions = new Map<string, { class: string; outstanding: number; certificatesOutstanding: number }>();
    for (const certificate of held) {
      const position = positions.get(certificate.class) ?? { class: certificate.class, outstanding: 0, certificatesOutstanding: 0 };
      if (certificate.status === 'outstanding') {
        position.outstanding += certificate.amount;
        position.certificatesOutstanding += 1;
      }
      positions.set(certificate.class, position);
    }
    ctx.body = { holder, positions: [...positions.values()], certificates: held };
  });

  // Read back from the log and checked on each request (src/core/receipts.ts): no proof is kept in memory.
  router.get('/certificates/:id/receipt', readGuard, async (ctx) => {
    const certificate = await committed(issuer, ctx.params.id!);
    const proof = await issuer.proofOf(certificate);
    if (proof === undefined) {
      throw new CertificateError('not_signed', `${certificate.id} was issued before the log was signed: it has no receipt`, {
        details: { id: certificate.id },
      });
    }
    ctx.body = receiptJson(proof);
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
    const id = ctx.params.id!;
    const certificate = await lookUp(issuer, id);
    const digest = claimed.toLowerCase();
    // Whoever holds a genuine paper learns that it is, and what it already shows. A wrong digest and
    // an id never issued answer alike, and with nothing: neither the holder nor whether the id exists.
    // Constant time: how long the answer takes must not tell a prober how much of a guessed digest was right.
    const genuine =
      certificate !== undefined && timingSafeEqual(Buffer.from(certificateDigest(certificate)), Buffer.from(digest))
        ? certificate
        : undefined;
    ctx.vary('Accept');
    if (type === 'text/html') {
      ctx.set('Content-Security-Policy', PAGE_SECURITY_POLICY);
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderVerification(id, digest, genuine === undefined ? undefined : face(ctx, genuine));
    } else {
      ctx.body =
        genuine === undefined
          ? { id, matches: false }
          : { id, matches: true, digest, certificate: printedOn(genuine), ...statusJson(issuer.standing(genuine)) };
    }
  });
}
