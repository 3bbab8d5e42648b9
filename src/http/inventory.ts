import type Router from '@koa/router';
import type { Issuer } from '../actors/sequencers.js';
import type { Letterhead } from '../paper/face.js';

/** The classes with their names and counters. */
export function inventoryRoutes(router: Router, issuer: Issuer, letterhead: Letterhead): void {
  router.get('/classes', (ctx) => {
    ctx.body = {
      classes: issuer.snapshots().map(({ class: code, authorized, sharesIssued, remaining, certificates, nextId, ready }) => ({
        class: code,
        name: letterhead.classNames[code] ?? code,
        authorized,
        sharesIssued,
        remaining,
        certificates,
        nextId,
        ready,
      })),
    };
  });
}
