import { isRecordedIdempotencyKey, parseCertificateId, type Certificate } from './certificate.js';
import { isPrincipalId, isRequestId } from './provenance.js';
import { CLASS_CODE_PATTERN } from './share-class.js';
import { isDate, isItemId, isMoney, isPositiveInteger, isShortText, type Money, type Terms } from './terms.js';

/**
 * What happens to certificates after issuance, and to a class, as records on the same log, judged by
 * the same rule (src/core/validity.ts). A certificate event names the certificate it acts on and
 * lists `results`, the certificates it issues: they follow it at once, in that order, in the same
 * write, each stating the event's offset as its `origin`, and take the class's next numbers. The
 * event and its results stand or fall together.
 * - `cancellation`: `quantity` shares of it cancelled; the rest, if any, on one balance certificate to the same holder.
 * - `transfer`: to new holders (the results), the rest back to the seller on a balance certificate (the last result).
 * - `reissuance`: replaced (lost, stolen, a legend added or removed) by the results, which carry all its shares.
 * - `repurchase`: `quantity` shares bought back by the company at `price`; the rest on a balance certificate.
 * - `stop`: a stop on it (reported lost or stolen): it may then only be reissued.
 * - `adjustment`: the class's authorized shares set to `authorized`, approved by the board on `approvedOn`.
 * - `legend`: a legend template (id, name, text) certificates may then bear (src/core/terms.ts).
 */
export const EVENT_TYPES = ['cancellation', 'transfer', 'reissuance', 'repurchase', 'stop', 'adjustment', 'legend'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The events that act on one certificate. */
export const CERTIFICATE_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'cancellation',
  'transfer',
  'reissuance',
  'repurchase',
  'stop',
]);
/** The events whose `quantity` leaves the holder, with the rest on a balance certificate. */
const QUANTITY_EVENTS: ReadonlySet<EventType> = new Set<EventType>(['cancellation', 'transfer', 'repurchase']);

/** Results one event may issue at most: a transfer to many buyers is several events. */
export const MAX_RESULTS = 50;
/** The longest legend text taken. */
export const MAX_LEGEND_TEXT = 4000;

export interface LegendTemplate {
  readonly id: string;
  readonly name: string;
  readonly text: string;
}

/** What an event says, before where and for whom it was written. */
export interface EventFields {
  readonly event: EventType;
  readonly class: string;
  readonly at: string;
  /** The certificate acted on (certificate events). */
  readonly certificate?: string;
  /** Shares leaving the holder (cancellation, transfer, repurchase). */
  readonly quantity?: number;
  /** Ids of the certificates the event issues, in log order; a balance certificate, when there is one, is named by `balance` too and comes last. */
  readonly results?: readonly string[];
  readonly balance?: string;
  readonly reason?: string;
  /** Repurchase: the price per share. */
  readonly price?: Money;
  /** Adjustment: the class's authorized shares from now on, and the board's approval date. */
  readonly authorized?: number;
  readonly approvedOn?: string;
  /** Legend: the template defined. */
  readonly legend?: LegendTemplate;
  /** The id the event had where it came from (an imported OCF transaction's): exported again as that. */
  readonly ref?: string;
}

/** An event as the log carries it: with the offset its writer stated, the request, who asked and the seal, as a certificate record. */
export interface EventRecord extends EventFields {
  readonly offset?: number;
  readonly request?: string;
  readonly idempotencyKey?: string;
  readonly principal?: string;
  readonly requestId?: string;
  readonly seal?: number;
}

/** A valid event where the log holds it. */
export interface LoggedEvent {
  readonly offset: number;
  readonly record: EventRecord;
}

/** The event's id as the API and exports name it when it brought none: its class and its offset in the log. */
export function eventId(event: LoggedEvent): string {
  return event.record.ref ?? `${event.record.class}-E${event.offset}`;
}

/**
 * What is wrong with the event's own fields, or undefined: its type's fields present and well formed,
 * no other. Whether it fits the log (the certificate outstanding, shares conserved) is the rule's.
 */
export function eventProblem(fields: Record<string, unknown>): string | undefined {
  const {
    event,
    class: shareClass,
    at,
    certificate,
    quantity,
    results,
    balance,
    reason,
    price,
    authorized,
    approvedOn,
    legend,
    ref,
  } = fields;
  if (typeof event !== 'string' || !(EVENT_TYPES as readonly string[]).includes(event))
    return `event ${JSON.stringify(event)} is not one of ${EVENT_TYPES.join(', ')}`;
  const type = event as EventType;
  if (typeof shareClass !== 'string' || !new RegExp(`^${CLASS_CODE_PATTERN}$`).test(shareClass)) return 'class is not a class code';
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return 'at is not a time';
  if (ref !== undefined && !isItemId(ref)) return `ref ${JSON.stringify(ref)?.slice(0, 80)} is not an id`;
  if (reason !== undefined && !isShortText(reason)) return 'reason is not 1 to 200 characters of text';
  const acts = CERTIFICATE_EVENTS.has(type);
  if (acts) {
    const target = typeof certificate === 'string' ? parseCertificateId(certificate) : undefined;
    if (target === undefined || target.class !== shareClass)
      return `certificate ${JSON.stringify(certificate)?.slice(0, 80)} is not a certificate of class ${shareClass}`;
  } else if (certificate !== undefined) return `a ${type} names no certificate`;
  if (QUANTITY_EVENTS.has(type)) {
    if (!isPositiveInteger(quantity)) return `quantity ${JSON.stringify(quantity)} is not a positive integer`;
  } else if (quantity !== undefined) return `a ${type} states no quantity`;
  const issues = type === 'cancellation' || type === 'transfer' || type === 'reissuance' || type === 'repurchase';
  if (issues) {
    if (!Array.isArray(results) || results.length > MAX_RESULTS) return `results is not a list of at most ${MAX_RESULTS} certificate ids`;
    for (const id of results) {
      const parsed = typeof id === 'string' ? parseCertificateId(id) : undefined;
      if (parsed === undefined || parsed.class !== shareClass)
        return `results holds ${JSON.stringify(id)?.slice(0, 80)}, not a certificate of class ${shareClass}`;
    }
    if (balance !== undefined && results[results.length - 1] !== balance) return 'balance is not the last of the results';
    if (type === 'reissuance' && (results.length === 0 || balance !== undefined))
      return 'a reissuance issues at least one certificate and no balance';
    if (type === 'transfer' && results.length === (balance === undefined ? 0 : 1))
      return 'a transfer issues at least one certificate to a new holder';
    if ((type === 'cancellation' || type === 'repurchase') && results.length !== (balance === undefined ? 0 : 1))
      return `a ${type} issues only its balance certificate`;
  } else if (results !== undefined || balance !== undefined) return `a ${type} issues no certificate`;
  if (type === 'repurchase') {
    if (price !== undefined && !isMoney(price)) return 'price is not {"amount": "<decimal>", "currency": "<ISO 4217 code>"}';
  } else if (price !== undefined) return `a ${type} states no price`;
  if (type === 'adjustment') {
    if (!isPositiveInteger(authorized)) return `authorized ${JSON.stringify(authorized)} is not a positive integer`;
    if (!isDate(approvedOn)) return `approvedOn ${JSON.stringify(approvedOn)?.slice(0, 80)} is not a date (YYYY-MM-DD)`;
  } else if (authorized !== undefined || approvedOn !== undefined) return `a ${type} states no authorized shares`;
  if (type === 'legend') {
    if (typeof legend !== 'object' || legend === null || Array.isArray(legend)) return 'legend is not {"id", "name", "text"}';
    const { id, name, text, ...rest } = legend as Record<string, unknown>;
    if (
      Object.keys(rest).length > 0 ||
      !isItemId(id) ||
      !isShortText(name) ||
      typeof text !== 'string' ||
      text.length === 0 ||
      [...text].length > MAX_LEGEND_TEXT
    )
      return `legend is not {"id", "name" (1 to 200 characters), "text" (1 to ${MAX_LEGEND_TEXT})}`;
  } else if (legend !== undefined) return `a ${type} defines no legend`;
  return undefined;
}

/** What is wrong with the fields only the log's bookkeeping adds (offset, request, who asked, seal), or undefined. */
export function provenanceProblem(fields: Record<string, unknown>): string | undefined {
  const { offset, request, idempotencyKey, principal, requestId, seal } = fields;
  if (offset !== undefined && !(Number.isSafeInteger(offset) && (offset as number) >= 0))
    return `offset ${JSON.stringify(offset)} is not an offset`;
  if (request !== undefined && (typeof request !== 'string' || request.length === 0))
    return `request ${JSON.stringify(request)} is not a request id`;
  if (idempotencyKey !== undefined && !(typeof idempotencyKey === 'string' && isRecordedIdempotencyKey(idempotencyKey)))
    return `idempotencyKey ${JSON.stringify(idempotencyKey)} is not an idempotency key`;
  if ((principal !== undefined || requestId !== undefined) && !isPrincipalId(principal))
    return `principal ${JSON.stringify(principal)?.slice(0, 80)} is not a principal id`;
  if (principal !== undefined && !isRequestId(requestId)) return `requestId ${JSON.stringify(requestId)?.slice(0, 80)} is not a request id`;
  if (seal !== undefined && !(Number.isSafeInteger(seal) && offset !== undefined && (seal as number) > (offset as number)))
    return `seal ${JSON.stringify(seal)} is not an offset after the record's own`;
  return undefined;
}

/** A new holder of a transfer: who, how many shares, and the terms of the certificate they get. */
export interface Transferee {
  readonly name: string;
  readonly amount: number;
  readonly terms?: Terms;
}

/**
 * What a client asks of an event, after validation (the HTTP edge, a forwarded call or an import
 * guarantees the fields of its type): what numbering (src/core/numbering.ts) turns into an event
 * record and its results.
 * - cancellation, repurchase: `certificate`, `quantity` (all its shares when absent), `reason`, a repurchase's `price`;
 * - transfer: `certificate`, `transferees` (the rest goes back to the holder on a balance certificate), `reason`;
 * - reissuance: `certificate`, `reason`, and the replacement's `terms` when they change (a legend removed); else its own;
 * - stop: `certificate`, `reason`;
 * - adjustment: `authorized`, `approvedOn`, `reason`;
 * - legend: `legend`.
 */
export interface EventRequest {
  readonly event: EventType;
  readonly class: string;
  readonly certificate?: string;
  readonly quantity?: number;
  readonly transferees?: readonly Transferee[];
  readonly terms?: Terms;
  readonly reason?: string;
  readonly price?: Money;
  readonly authorized?: number;
  readonly approvedOn?: string;
  readonly legend?: LegendTemplate;
  /** An import's: the event's id and time where it came from. */
  readonly ref?: string;
  readonly at?: string;
  readonly idempotencyKey?: string;
  readonly principal: string;
  readonly requestId: string;
}

/** An event request's answer: the event as the log holds it, the certificates it issued, and whether an earlier request with its key had it written. */
export interface EventDone {
  readonly event: LoggedEvent;
  readonly results: readonly Certificate[];
  readonly replayed: boolean;
}
