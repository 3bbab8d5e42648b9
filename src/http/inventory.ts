import type Router from '@koa/router';
import type { Issuer } from './issuer.js';
import { className, type Letterhead } from '../paper/face.js';

/** The classes with their names and counters. */
export function inventoryRoutes(router: Router, issuer: Issuer, letterhead: Letterhead): void {
  router.get('/classes', (ctx) => {
    ctx.body = {
      classes: issuer.snapshots().map(({ class: code, authorized, sharesIssued, remaining, certificates, nextId, ready }) => ({
        class: code,
        name: className(letterhead, code),
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
