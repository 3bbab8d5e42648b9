/**
 * What a cap table records of an issuance beyond class, holder's name and amount: the holder's stable
 * id (one stakeholder with several certificates is one holder), the restrictive legends the
 * certificate bears (ids of legend templates the log defines: src/core/events.ts), and the board's
 * approval date, price per share and securities-law exemption. Every field is optional; a record
 * carries `terms` only when one is given, so records written before terms existed keep their bytes.
 */
export interface Terms {
  readonly holder?: string;
  readonly legends?: readonly string[];
  readonly approvedOn?: string;
  readonly price?: Money;
  readonly exemption?: string;
}

/** A price as OCF states one: a decimal amount as text (no float rounding) and an ISO 4217 currency. */
export interface Money {
  readonly amount: string;
  readonly currency: string;
}

/** Stakeholder and legend ids: what OCF ids and a URL path segment carry unescaped. */
export const ITEM_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$';
/** Legends one certificate may bear at most. */
export const MAX_LEGENDS = 8;
/** The longest exemption, reason or legend name taken; a legend's text may be longer (MAX_LEGEND_TEXT). */
export const MAX_SHORT_TEXT = 200;
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
export const DECIMAL_PATTERN = '^[0-9]{1,12}(\\.[0-9]{1,10})?$';
export const CURRENCY_PATTERN = '^[A-Z]{3}$';

const ITEM_ID = new RegExp(ITEM_ID_PATTERN);
const DATE = new RegExp(DATE_PATTERN);
const DECIMAL = new RegExp(DECIMAL_PATTERN);
const CURRENCY = new RegExp(CURRENCY_PATTERN);
// No control characters: `\p{Cc}` names them without writing one into the pattern.
const PRINTABLE = /^\P{Cc}+$/u;

/** A count of shares or a certificate number: a positive safe integer. */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export function isItemId(value: unknown): value is string {
  return typeof value === 'string' && ITEM_ID.test(value);
}

/** A calendar date spelled YYYY-MM-DD that exists (2026-02-30 does not). */
export function isDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** One line of text, 1 to `max` characters (code points, as JSON Schema counts them), no control characters. */
export function isShortText(value: unknown, max = MAX_SHORT_TEXT): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 2 * max && PRINTABLE.test(value) && [...value].length <= max;
}

/** What isShortText takes, as a JSON Schema pattern (its length is maxLength's): no control character. */
export const SHORT_TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]+$';

export function isMoney(value: unknown): value is Money {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { amount, currency, ...rest } = value as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof amount === 'string' &&
    DECIMAL.test(amount) &&
    typeof currency === 'string' &&
    CURRENCY.test(currency)
  );
}

/**
 * What is wrong with `value` as terms, in words naming the field, or undefined when it is good:
 * the one check for a request's body, a forwarded request and a record read from the log.
 */
export function termsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'terms is not an object';
  const { holder, legends, approvedOn, price, exemption, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return `terms has unknown field ${JSON.stringify(unknown[0])}`;
  if (holder !== undefined && !isItemId(holder))
    return `terms.holder ${JSON.stringify(holder)?.slice(0, 80)} is not an id (${ITEM_ID_PATTERN})`;
  if (legends !== undefined) {
    if (!Array.isArray(legends) || legends.length === 0 || legends.length > MAX_LEGENDS)
      return `terms.legends is not a list of 1 to ${MAX_LEGENDS} legend ids`;
    const bad = legends.find((legend) => !isItemId(legend));
    if (bad !== undefined) return `terms.legends holds ${JSON.stringify(bad)?.slice(0, 80)}, which is not an id (${ITEM_ID_PATTERN})`;
    if (new Set(legends).size !== legends.length) return 'terms.legends names a legend twice';
  }
  if (approvedOn !== undefined && !isDate(approvedOn))
    return `terms.approvedOn ${JSON.stringify(approvedOn)?.slice(0, 80)} is not a date (YYYY-MM-DD)`;
  if (price !== undefined && !isMoney(price)) return 'terms.price is not {"amount": "<decimal>", "currency": "<ISO 4217 code>"}';
  if (exemption !== undefined && !isShortText(exemption)) return `terms.exemption is not 1 to ${MAX_SHORT_TEXT} characters of text`;
  if (holder === undefined && legends === undefined && approvedOn === undefined && price === undefined && exemption === undefined)
    return 'terms is empty';
  return undefined;
}

/** The terms with their fields in one order and nothing else: how records and fields hashes spell them. */
export function canonicalTerms(terms: Terms): Terms {
  const { holder, legends, approvedOn, price, exemption } = terms;
  return {
    ...(holder === undefined ? {} : { holder }),
    ...(legends === undefined ? {} : { legends: [...legends] }),
    ...(approvedOn === undefined ? {} : { approvedOn }),
    ...(price === undefined ? {} : { price: { amount: price.amount, currency: price.currency } }),
    ...(exemption === undefined ? {} : { exemption }),
  };
}
