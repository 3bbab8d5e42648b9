import { certificateId, type Certificate, type CertificateRecord, type IssueRequest } from './certificate.js';
import { CertificateError } from './errors.js';
import { numberEvent, undefinedLegend, type BatchClass, type EventState } from './event-numbering.js';
import type { EventRecord, EventRequest, LoggedEvent } from './events.js';
import { scopedKey } from './provenance.js';
import type { ShareClassConfig } from './share-class.js';

/** What numbering reads of the log state: each class's newest certificate, the remembered keys, and what events need. */
export interface NumberingState extends EventState {
  index(shareClass: string): { readonly count: number; readonly sharesIssued: number } | undefined;
  /** The class's authorized shares as the log has them, and its outstanding shares. */
  authorizedOf(shareClass: string): number | undefined;
  outstandingOf(shareClass: string): number;
  /** The certificate issued for an idempotency key in its principal's scope (scopedKey), if remembered at `atMs`. */
  recall(scoped: string, atMs: number): Certificate | undefined;
  /** The event written for an idempotency key in its principal's scope, if remembered at `atMs`. */
  recallEvent(scoped: string, atMs: number): LoggedEvent | undefined;
}

/** A request to a class's actor: an issuance or an event. */
export type ClassRequest = IssueRequest | EventRequest;

/** How a batch of one class was numbered; positions are indexes into the batch numbered. */
export interface Numbered {
  /** The records to write, in the batch's order: contiguous numbers after the class's newest certificate; an event's results right after it. */
  readonly records: Array<CertificateRecord | EventRecord>;
  /** For each record, the position of the request it was numbered for. */
  readonly positions: number[];
  /** Requests whose idempotency key the log answered already: settled with that answer; they take no number. */
  readonly replayed: Array<
    { readonly position: number; readonly certificate: Certificate } | { readonly position: number; readonly event: LoggedEvent }
  >;
  /** Requests the remaining shares cannot cover, with the shares that remained when each was judged. */
  readonly refused: Array<{ readonly position: number; readonly remaining: number }>;
  /** Events, and issuances bearing a legend not defined, the log would void, refused with their own code. */
  readonly rejected: Array<{ readonly position: number; readonly error: CertificateError }>;
}

/** Whether an event request asks what the event (or request) its key was first used for does: the same type, on the same certificate or class. */
export function sameEvent(request: EventRequest, first: LoggedEvent | EventRequest): boolean {
  const earlier = 'record' in first ? first.record : first;
  return earlier.event === request.event && earlier.class === request.class && earlier.certificate === request.certificate;
}

/** As src/actors/idempotency.ts says it for issuances: that the key asked for something else first, never what. */
export function eventKeyReused(key: string): CertificateError {
  return new CertificateError(
    'idempotency_key_reused',
    `Expected a retry of the request Idempotency-Key ${JSON.stringify(key)} was first used for, got a different one. Nothing was done: use a new key for a new request`,
    { details: { idempotencyKey: key } },
  );
}

/**
 * Numbers the requests, in order, after the class's newest certificate in `state`, all at `now`,
 * each record naming its request by `writerRequest(position)` (the id the writer knows its own
 * attempts by) and who asked under which `Request-Id`; refuses the issuances the remaining shares
 * (authorized less outstanding) cannot cover (a smaller one behind a refused one still fits), and
 * the events the rule would void (src/core/event-numbering.ts). A request whose idempotency key the
 * log has answered meanwhile (another instance, an earlier life of this one, a write whose answer
 * was lost) is settled with that answer instead: it takes no number and no shares. Pure: it reads
 * `state` and changes nothing.
 */
export function numberBatch(
  state: NumberingState,
  shareClass: ShareClassConfig,
  batch: readonly ClassRequest[],
  writerRequest: (position: number) => string,
  now: Date,
): Numbered {
  const { code } = shareClass;
  const issuedAt = now.toISOString();
  const at = now.getTime();
  const newest = state.index(code);
  if (newest === undefined) throw new Error(`Expected class ${code} in the log state, which has no index for it`);
  const current: BatchClass = {
    number: newest.count,
    sharesIssued: newest.sharesIssued,
    outstanding: state.outstandingOf(code),
    authorized: state.authorizedOf(code) ?? shareClass.authorized,
    acted: new Set(),
  };
  const numbered: Numbered = { records: [], positions: [], replayed: [], refused: [], rejected: [] };
  batch.forEach((request, position) => {
    const { idempotencyKey, principal, requestId } = request;
    const scoped = idempotencyKey === undefined ? undefined : scopedKey(principal, idempotencyKey);
    if ('event' in request) {
      const earlier = scoped === undefined ? undefined : state.recallEvent(scoped, at);
      // A key is one request's: a retry of another event, or of an issuance, under it would be void.
      if (scoped !== undefined && (state.recall(scoped, at) !== undefined || (earlier !== undefined && !sameEvent(request, earlier))))
        return void numbered.rejected.push({ position, error: eventKeyReused(idempotencyKey!) });
      if (earlier !== undefined) return void numbered.replayed.push({ position, event: earlier });
      const records = numberEvent(state, current, request, writerRequest(position), issuedAt);
      if (!Array.isArray(records)) return void numbered.rejected.push({ position, error: records as CertificateError });
      for (const record of records) {
        numbered.records.push(record);
        numbered.positions.push(position);
      }
      return;
    }
    const earlier = scoped === undefined ? undefined : state.recall(scoped, at);
    if (earlier !== undefined) return void numbered.replayed.push({ position, certificate: earlier });
    if (scoped !== undefined && state.recallEvent(scoped, at) !== undefined)
      return void numbered.rejected.push({ position, error: eventKeyReused(idempotencyKey!) });
    const { amount, name, terms } = request;
    const missing = undefinedLegend(state, current, terms?.legends ?? []);
    if (missing !== undefined) return void numbered.rejected.push({ position, error: missing });
    const remaining = current.authorized - current.outstanding;
    if (amount > remaining) return void numbered.refused.push({ position, remaining });
    current.number += 1;
    current.sharesIssued += amount;
    current.outstanding += amount;
    numbered.records.push({
      id: certificateId(code, current.number),
      class: code,
      number: current.number,
      name,
      amount,
      issuedAt: request.at ?? issuedAt,
      sharesIssued: current.sharesIssued,
      ...(terms === undefined ? {} : { terms }),
      request: writerRequest(position),
      principal,
      requestId,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    numbered.positions.push(position);
  });
  return numbered;
}
