import { parseCertificateId } from '../core/certificate.js';
import { CertificateError } from '../core/errors.js';
import {
  CERTIFICATE_EVENTS,
  EVENT_TYPES,
  MAX_LEGEND_TEXT,
  MAX_RESULTS,
  type EventRequest,
  type EventType,
  type Transferee,
} from '../core/events.js';
import { CLASS_CODE_PATTERN } from '../core/share-class.js';
import { isDate, isItemId, isMoney, isPositiveInteger, isShortText, ITEM_ID_PATTERN, MAX_SHORT_TEXT } from '../core/terms.js';
import { describe, parseName, parseTerms } from './validate.js';

/** What a request's path, body and `Idempotency-Key` ask of an event, before the edge adds who asks. */
export type EventAsked = Omit<EventRequest, 'principal' | 'requestId'>;

/** The fields each event's body may hold, beside what its path names (the certificate, or the class). */
export const EVENT_BODY_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  cancellation: ['quantity', 'reason'],
  transfer: ['transferees', 'reason'],
  reissuance: ['terms', 'reason'],
  repurchase: ['quantity', 'price', 'reason'],
  stop: ['reason'],
  adjustment: ['authorized', 'approvedOn', 'reason'],
  legend: ['legend'],
};

/** New holders of one transfer at most: the balance back to the seller takes the last of an event's results. */
export const MAX_TRANSFEREES = MAX_RESULTS - 1;

const CLASS_CODE = new RegExp(`^${CLASS_CODE_PATTERN}$`);

function refused(message: string): CertificateError {
  return new CertificateError('invalid_body', message);
}

function onlyFields(body: object, allowed: readonly string[]): void {
  // Own keys only, compared as strings: a "__proto__" key from JSON.parse is refused, never followed.
  const unexpected = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unexpected.length > 0) {
    throw refused(
      `Expected only the fields ${allowed.join(', ') || '(none)'}, got also ${unexpected.map((key) => JSON.stringify(key)).join(', ')}`,
    );
  }
}

function parseTransferee(item: unknown, index: number): Transferee {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw refused(`Expected transferees[${index}] to be {"name", "amount", "terms"?}, got ${describe(item)}`);
  }
  onlyFields(item, ['name', 'amount', 'terms']);
  const { name, amount, terms } = item as Record<string, unknown>;
  if (!isPositiveInteger(amount)) {
    throw new CertificateError(
      'invalid_amount',
      `Expected transferees[${index}].amount to be a whole number of shares, got ${describe(amount)}`,
    );
  }
  return { name: parseName(name), amount, ...(terms === undefined ? {} : { terms: parseTerms(terms) }) };
}

/**
 * The one check of an event request's fields, for the edge and for a forwarded request alike (a
 * writer trusts no one's validation): `fields` holds `event`, the certificate or class it acts on,
 * and its type's fields (EVENT_BODY_FIELDS), no other. Whether it fits the log is numbering's.
 */
export function parseEventAsked(fields: Record<string, unknown>, idempotencyKey?: string): EventAsked {
  const { event, certificate, class: shareClass, ...rest } = fields;
  if (typeof event !== 'string' || !(EVENT_TYPES as readonly string[]).includes(event)) {
    throw refused(`Expected \`event\` to be one of ${EVENT_TYPES.join(', ')}, got ${describe(event)}`);
  }
  const type = event as EventType;
  onlyFields(rest, EVENT_BODY_FIELDS[type]);
  let code: string;
  if (CERTIFICATE_EVENTS.has(type)) {
    const parsed = typeof certificate === 'string' ? parseCertificateId(certificate) : undefined;
    if (parsed === undefined) {
      throw new CertificateError('invalid_certificate_id', `Expected a certificate id such as CS-1, got ${describe(certificate)}`);
    }
    if (shareClass !== undefined && shareClass !== parsed.class)
      throw refused(`Expected \`class\` to be ${parsed.class}, the certificate's`);
    code = parsed.class;
  } else {
    if (certificate !== undefined) throw refused(`Expected a ${type} to name no certificate`);
    if (typeof shareClass !== 'string' || !CLASS_CODE.test(shareClass)) {
      throw new CertificateError('invalid_class', `Expected \`class\` to be a share class code such as "CS", got ${describe(shareClass)}`);
    }
    code = shareClass;
  }
  const { quantity, transferees, terms, reason, price, authorized, approvedOn, legend } = rest;
  if (quantity !== undefined && !isPositiveInteger(quantity)) {
    throw new CertificateError('invalid_amount', `Expected \`quantity\` to be a whole number of shares, got ${describe(quantity)}`);
  }
  if (reason !== undefined && !isShortText(reason)) throw refused(`Expected \`reason\` to be 1 to ${MAX_SHORT_TEXT} characters of text`);
  if (price !== undefined && !isMoney(price))
    throw refused('Expected `price` to be {"amount": "<decimal>", "currency": "<ISO 4217 code>"}');
  const asked: { -readonly [K in keyof EventAsked]: EventAsked[K] } = { event: type, class: code };
  if (typeof certificate === 'string') asked.certificate = certificate;
  if (quantity !== undefined) asked.quantity = quantity as number;
  if (reason !== undefined) asked.reason = reason as string;
  if (price !== undefined) asked.price = price as EventAsked['price'];
  if (terms !== undefined) asked.terms = parseTerms(terms);
  if (type === 'transfer') {
    if (!Array.isArray(transferees) || transferees.length === 0 || transferees.length > MAX_TRANSFEREES) {
      throw refused(`Expected \`transferees\` to be a list of 1 to ${MAX_TRANSFEREES} new holders`);
    }
    asked.transferees = transferees.map(parseTransferee);
  }
  if (type === 'adjustment') {
    if (!isPositiveInteger(authorized)) {
      throw new CertificateError('invalid_amount', `Expected \`authorized\` to be a whole number of shares, got ${describe(authorized)}`);
    }
    if (!isDate(approvedOn))
      throw refused(`Expected \`approvedOn\` to be the board's approval date (YYYY-MM-DD), got ${describe(approvedOn)}`);
    asked.authorized = authorized;
    asked.approvedOn = approvedOn;
  }
  if (type === 'legend') asked.legend = parseLegend(legend);
  if (idempotencyKey !== undefined) asked.idempotencyKey = idempotencyKey;
  return asked;
}

function parseLegend(legend: unknown): NonNullable<EventAsked['legend']> {
  if (typeof legend !== 'object' || legend === null || Array.isArray(legend))
    throw refused('Expected `legend` to be {"id", "name", "text"}');
  onlyFields(legend, ['id', 'name', 'text']);
  const { id, name, text } = legend as Record<string, unknown>;
  if (!isItemId(id)) throw refused(`Expected the legend's \`id\` to match ${ITEM_ID_PATTERN}, got ${describe(id)}`);
  if (!isShortText(name)) throw refused(`Expected the legend's \`name\` to be 1 to ${MAX_SHORT_TEXT} characters of text`);
  if (typeof text !== 'string' || text.length === 0 || !text.isWellFormed() || [...text].length > MAX_LEGEND_TEXT) {
    throw refused(`Expected the legend's \`text\` to be 1 to ${MAX_LEGEND_TEXT} characters`);
  }
  return { id, name, text };
}

/** A request's body for event `type` on what its path names: only its type's fields. */
export function parseEventBody(
  type: EventType,
  target: { readonly certificate: string } | { readonly class: string },
  body: unknown,
  idempotencyKey?: string,
): EventAsked {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw refused(`Expected a JSON object with the fields ${EVENT_BODY_FIELDS[type].join(', ') || '(none)'}, got ${describe(body)}`);
  }
  onlyFields(body, EVENT_BODY_FIELDS[type]);
  return parseEventAsked({ ...body, event: type, ...target }, idempotencyKey);
}
