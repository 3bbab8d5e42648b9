import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { CertificateError } from '../core/errors.js';
import type { Issuer } from './issuer.js';
import { signedHeadJson } from './receipt.js';

/**
 * The log's newest signed head as this instance has read it, for auditors (`auditGuard`): what
 * `npm run audit -- --since-head` takes to prove the log since then only grew. A follower's may
 * trail the writer's by what its tail has not read yet.
 */
export function ledgerRoutes(router: Router, issuer: Pick<Issuer, 'head' | 'voids'>, auditGuard: Middleware): void {
  router.get('/ledger/head', auditGuard, (ctx) => {
    const head = issuer.head();
    if (head === undefined) throw new CertificateError('not_signed', 'The certificate log has no signed head yet: nothing was signed');
    ctx.body = signedHeadJson(head);
  });

  // The void records this instance saw, with the rule's reasons: the full audit is `npm run audit` (docs/audit.md).
  router.get('/audit/voids', auditGuard, (ctx) => {
    const { total, recent } = issuer.voids();
    ctx.body = { total, voids: [...recent].reverse(), listed: recent.length };
  });
}
