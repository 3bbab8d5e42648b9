import { createHash } from 'node:crypto';
import type { Money } from '../core/terms.js';

/**
 * How this ledger's things are named in OCF, for the export and the import alike: what makes an
 * export imported into a fresh ledger export again as the same objects.
 */

/** A stakeholder id from a holder's name, for certificates whose terms give no holder id: one name, one stakeholder. */
export function stakeholderIdOf(name: string): string {
  return `name-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** The issuer's id, from its legal name. */
export function issuerIdOf(legalName: string): string {
  return `issuer-${createHash('sha256').update(legalName).digest('hex').slice(0, 16)}`;
}

/** A certificate's TX_STOCK_ISSUANCE: its id is the certificate's (the security id and custom id) after this. */
export const ISSUANCE_PREFIX = 'issuance-';

/** OCF requires a price on every issuance and repurchase; a certificate issued without one states this. */
export const ZERO_PRICE: Money = { amount: '0', currency: 'USD' };

export function isZeroPrice(price: Money): boolean {
  return price.currency === ZERO_PRICE.currency && price.amount === ZERO_PRICE.amount;
}

/** An OCF date (YYYY-MM-DD) from a ledger time. */
export function dateOf(time: string): string {
  return new Date(Date.parse(time)).toISOString().slice(0, 10);
}

/** A ledger time from an OCF date: midnight UTC, which the export turns back into the same date. */
export function timeOf(date: string): string {
  return `${date}T00:00:00.000Z`;
}
