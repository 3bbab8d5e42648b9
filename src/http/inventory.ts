import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Issuer } from './issuer.js';
import { className, type Letterhead } from '../paper/face.js';

/** The classes with their names and counters, for callers that `guard` lets read them. */
export function inventoryRoutes(router: Router, issuer: Issuer, letterhead: Letterhead, guard: Middleware): void {
  router.get('/classes', guard, (ctx) => {
    ctx.body = {
      classes: issuer.snapshots().map(({ class: code, authorized, sharesIssued, outstanding, remaining, certificates, nextId, ready }) => ({
        class: code,
        name: className(letterhead, code),
        authorized,
        sharesIssued,
        // Issued counts every certificate ever issued (an event's results too); outstanding, only those not closed.
        issued: sharesIssued,
        outstanding,
        remaining,
        certificates,
        certificatesOutstanding: issuer.figures(code)?.certificatesOutstanding ?? certificates,
        nextId,
        ready,
      })),
    };
  });
}
