import type Router from '@koa/router';
import { parseCertificateId } from '../actors/certificate.js';
import type { Issuer } from '../actors/sequencers.js';
import { CertificateError } from '../errors.js';

/** Read-only views of the sequencers: the classes with their counters, and one certificate by id. */
export function inventoryRoutes(router: Router, issuer: Issuer): void {
  router.get('/classes', (ctx) => {
    ctx.body = {
      classes: issuer.snapshots().map(({ class: code, authorized, sharesIssued, remaining, certificates, nextId, ready }) => ({
        class: code,
        authorized,
        sharesIssued,
        remaining,
        certificates,
        nextId,
        ready,
      })),
    };
  });

  router.get('/certificates/:id', async (ctx) => {
    const id = ctx.params.id!;
    const parsed = parseCertificateId(id);
    if (parsed === undefined) {
      throw new CertificateError(
        'invalid_certificate_id',
        `Expected a certificate id such as CS-1, got ${JSON.stringify(id.slice(0, 40))}`,
      );
    }
    const certificate = await issuer.find(parsed.class, parsed.number);
    if (certificate === undefined) throw new CertificateError('not_found', `No certificate ${id}`, { details: { id } });
    ctx.body = certificate;
  });
}
