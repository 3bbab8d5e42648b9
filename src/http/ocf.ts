import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { CertificateError } from '../core/errors.js';

/** An OCF export as the edge sends it: the zip, its file name, and the offset it is the ledger as of. */
export interface OcfDownload {
  readonly zip: Uint8Array;
  readonly fileName: string;
  readonly end: number;
}

/**
 * GET /ocf/export: the whole ledger as an Open Cap Table Format package (src/ocf/), for auditors
 * (`auditGuard`), as of the log's end this instance has read. Building one reads the log from its
 * start, so one is built at a time: a request meanwhile is answered 503 overloaded, to retry.
 */
export function ocfRoutes(router: Router, exportLedger: () => Promise<OcfDownload>, auditGuard: Middleware): void {
  let building = false;
  router.get('/ocf/export', auditGuard, async (ctx) => {
    if (!ctx.accepts('application/zip'))
      throw new CertificateError('not_acceptable', `Expected Accept to allow application/zip, got ${ctx.get('Accept')}`, {
        details: { acceptable: ['application/zip'] },
      });
    if (building) throw new CertificateError('overloaded', 'An OCF export is being built already; retry when it is done');
    building = true;
    try {
      const { zip, fileName, end } = await exportLedger();
      ctx.type = 'application/zip';
      ctx.set('Content-Disposition', `attachment; filename="${fileName}"`);
      ctx.set('OCF-As-Of-Offset', String(end));
      ctx.body = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
    } finally {
      building = false;
    }
  });
}
