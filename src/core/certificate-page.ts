import { parseCertificateId, type Certificate } from './certificate.js';
import type { CertificateIndex } from './certificate-index.js';

/** The most certificates one page holds. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
/**
 * The most names one search request compares: about 8 ms of scanning (docs/benchmark.md, "The
 * console's certificate list"); a search that did not reach the end says where to go on.
 */
export const MAX_NAME_SCAN = 1_000_000;

export interface PageQuery {
  readonly order: 'asc' | 'desc';
  /** Go on after this certificate number, in the listing's order; absent: from the oldest (asc) or newest (desc). */
  readonly after?: number;
  readonly limit: number;
  /** Only certificates whose terms name this stakeholder. */
  readonly holder?: string;
  /** A certificate id (that certificate alone), else a prefix of the holder's name, ASCII letters in any case. */
  readonly q?: string;
}

export interface CertificatePage {
  readonly items: Certificate[];
  /** The `after` of the next page; absent when nothing follows. */
  readonly next?: number;
  /** Names compared, for a name search: fewer items than asked and a `next` mean the scan stopped at MAX_NAME_SCAN. */
  readonly scanned?: number;
}

const encoder = new TextEncoder();

/**
 * One page of a class's certificates, found by number in its index (src/core/certificate-index.ts):
 * a plain page costs its own size whatever the class holds; a holder's certificates are the few with
 * terms; a name search scans names in order, at most MAX_NAME_SCAN of them a page.
 * `find` looks up an id the search names (any class).
 */
export function certificatePage(
  index: CertificateIndex,
  query: PageQuery,
  find: (shareClass: string, number: number) => Certificate | undefined,
): CertificatePage {
  const { order, limit, holder, q } = query;
  const named = q === undefined ? undefined : parseCertificateId(q);
  if (named !== undefined) {
    const found = find(named.class, named.number);
    return { items: found !== undefined && (holder === undefined || found.terms?.holder === holder) ? [found] : [] };
  }
  // Only ASCII letters are folded: the index compares bytes, and folds the names' the same way.
  const prefix = q === undefined ? undefined : encoder.encode(q.replace(/[A-Z]/g, (letter) => letter.toLowerCase()));
  const matches = (number: number): boolean => prefix === undefined || index.nameStartsWith(number, prefix);
  const step = order === 'asc' ? 1 : -1;
  const from = query.after ?? (order === 'asc' ? 0 : index.count + 1);

  if (holder !== undefined) {
    const held = index.heldBy(holder).filter(({ number }) => (order === 'asc' ? number > from : number < from) && matches(number));
    if (order === 'desc') held.reverse();
    const items = held.slice(0, limit);
    return held.length > limit ? { items, next: items.at(-1)!.number } : { items };
  }

  const items: Certificate[] = [];
  let number = Math.min(Math.max(from + step, 1), index.count);
  const inRange = (at: number): boolean => at >= 1 && at <= index.count && (order === 'asc' ? at > from : at < from);
  let scanned = 0;
  for (; inRange(number) && items.length < limit && scanned < MAX_NAME_SCAN; number += step) {
    if (prefix !== undefined) scanned += 1;
    if (matches(number)) items.push(index.get(number)!);
  }
  // `number` is the first not looked at: something may follow when it is still in range.
  const next = inRange(number) ? number - step : undefined;
  return { items, ...(next === undefined ? {} : { next }), ...(prefix === undefined ? {} : { scanned }) };
}
