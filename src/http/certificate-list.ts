import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type PageQuery } from '../core/certificate-page.js';
import { CLASS_CODE_PATTERN, unknownClass } from '../core/share-class.js';
import { CertificateError } from '../core/errors.js';
import { isItemId, ITEM_ID_PATTERN } from '../core/terms.js';
import { standingJson } from './events.js';
import type { Issuer } from './issuer.js';

/** The longest search text: ids and name prefixes are far shorter. */
export const MAX_SEARCH_LENGTH = 100;
/** Above any certificate number (CERTIFICATE_NUMBER_PATTERN allows 15 digits). */
const MAX_AFTER = 1e15;

const CLASS = new RegExp(`^${CLASS_CODE_PATTERN}$`);

function one(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new CertificateError('invalid_body', `Expected ?${name}= at most once`);
  return value;
}

function integer(ctx: Context, name: string, min: number, max: number): number | undefined {
  const text = one(ctx, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d{1,16}$/.test(text) || value < min || value > max)
    throw new CertificateError(
      'invalid_body',
      `Expected ?${name}= to be an integer from ${min} to ${max}, got ${JSON.stringify(text.slice(0, 20))}`,
    );
  return value;
}

/** The query, each part bounded: what GET /certificates takes. */
function pageQuery(ctx: Context, classes: readonly string[]): { readonly shareClass: string; readonly query: PageQuery } {
  const shareClass = one(ctx, 'class');
  if (shareClass === undefined || !CLASS.test(shareClass))
    throw new CertificateError('invalid_class', `Expected ?class= to be one of ${classes.join(', ')}`);
  if (!classes.includes(shareClass)) throw unknownClass(classes, shareClass);
  const order = one(ctx, 'order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new CertificateError('invalid_body', 'Expected ?order= to be asc or desc');
  const holder = one(ctx, 'holder');
  if (holder !== undefined && !isItemId(holder))
    throw new CertificateError('invalid_body', `Expected ?holder= to match ${ITEM_ID_PATTERN}`);
  const q = one(ctx, 'q');
  if (q !== undefined && (q.length === 0 || [...q].length > MAX_SEARCH_LENGTH || /\p{Cc}/u.test(q)))
    throw new CertificateError('invalid_body', `Expected ?q= to be 1 to ${MAX_SEARCH_LENGTH} characters without control characters`);
  const after = integer(ctx, 'after', 0, MAX_AFTER);
  return {
    shareClass,
    query: {
      order,
      limit: integer(ctx, 'limit', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE,
      ...(after === undefined ? {} : { after }),
      ...(holder === undefined ? {} : { holder }),
      ...(q === undefined ? {} : { q }),
    },
  };
}

/**
 * GET /certificates: a page of a class's certificates with where each stands, newest first unless
 * `order=asc`, from this instance's state (src/core/certificate-page.ts): by number, by holder, or
 * by an id or the start of a name. `next` is the `after` of the following page.
 */
export function certificateListRoutes(router: Router, issuer: Issuer, readGuard: Middleware): void {
  router.get('/certificates', readGuard, (ctx) => {
    const { shareClass, query } = pageQuery(ctx, issuer.classes);
    const page = issuer.page(shareClass, query);
    if (page === undefined) throw unknownClass(issuer.classes, shareClass);
    ctx.body = {
      class: shareClass,
      items: page.items.map((certificate) => ({ ...certificate, ...standingJson(issuer.standing(certificate)) })),
      ...(page.next === undefined ? {} : { next: page.next }),
      ...(page.scanned === undefined ? {} : { scanned: page.scanned }),
    };
  });
}
