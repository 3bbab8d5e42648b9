import { certificateId, parseCertificateId, type Certificate, type CertificateRecord } from './certificate.js';
import { CertificateError } from './errors.js';
import type { EventRecord, EventRequest } from './events.js';
import type { Closure } from './validity.js';

/** What numbering an event reads of the log state. */
export interface EventState {
  certificate(shareClass: string, number: number): Certificate | undefined;
  closure(id: string): Closure | undefined;
  hasLegend(id: string): boolean;
}

/** A class as a batch has left it so far: what the next event or issuance of the batch is judged on. */
export interface BatchClass {
  number: number;
  sharesIssued: number;
  outstanding: number;
  authorized: number;
  /** Certificates acted on, and legends defined, earlier in the batch. */
  readonly acted: Set<string>;
}

/**
 * `unknown_legend` for the first of `legends` neither the log nor the batch so far defines, else
 * undefined: the rule voids a certificate bearing one (src/core/validity.ts), an issuance's too.
 */
export function undefinedLegend(state: EventState, batch: BatchClass, legends: readonly string[]): CertificateError | undefined {
  const missing = legends.find((legend) => !state.hasLegend(legend) && !batch.acted.has(`legend:${legend}`));
  return missing === undefined
    ? undefined
    : new CertificateError('unknown_legend', `No legend template ${missing} is defined`, { details: { legend: missing } });
}

/**
 * An event request as records: the event, then the certificates it issues, numbered after `batch`
 * (which it advances), each stating `origin` (stamped with the event's offset when written:
 * src/actors/log-writer.ts), or the refusal the rule would void it for, with its own code. The
 * checks are the rule's (src/core/validity.ts), made before writing so that a refused request
 * takes no number; the balance goes back to the holder with the certificate's terms.
 */
export function numberEvent(
  state: EventState,
  batch: BatchClass,
  request: EventRequest,
  writerRequest: string,
  now: string,
): readonly [EventRecord, ...CertificateRecord[]] | CertificateError {
  const { event: type, class: code } = request;
  let target: Certificate | undefined;
  if (request.certificate !== undefined) {
    const parsed = parseCertificateId(request.certificate);
    target = parsed === undefined || parsed.class !== code ? undefined : state.certificate(code, parsed.number);
    if (target === undefined) {
      return new CertificateError('unknown_certificate', `Class ${code} has no certificate ${request.certificate}`, {
        details: { certificate: request.certificate },
      });
    }
    const closure = batch.acted.has(target.id) ? ({ status: 'cancelled', event: -1 } as const) : state.closure(target.id);
    if (closure?.status === 'stopped' && type !== 'reissuance') {
      return new CertificateError('certificate_stopped', `${target.id} is stopped (reported lost or stolen): it may only be reissued`, {
        details: { certificate: target.id },
      });
    }
    if (closure !== undefined && closure.status !== 'stopped') {
      return new CertificateError('certificate_not_outstanding', `${target.id} is ${closure.status}: it cannot be acted on again`, {
        details: { certificate: target.id, status: closure.status },
      });
    }
  }
  const at = request.at ?? now;
  const results: CertificateRecord[] = [];
  const issue = (name: string, amount: number, terms: Certificate['terms']): string => {
    batch.number += 1;
    batch.sharesIssued += amount;
    const id = certificateId(code, batch.number);
    results.push({
      id,
      class: code,
      number: batch.number,
      name,
      amount,
      issuedAt: at,
      sharesIssued: batch.sharesIssued,
      ...(terms === undefined ? {} : { terms }),
      origin: 0,
      request: writerRequest,
      principal: request.principal,
      requestId: request.requestId,
    });
    return id;
  };
  let quantity: number | undefined;
  let balance: string | undefined;
  const missing = undefinedLegend(state, batch, [
    ...(request.terms?.legends ?? []),
    ...(request.transferees ?? []).flatMap(({ terms }) => terms?.legends ?? []),
  ]);
  if (missing !== undefined) return missing;
  switch (type) {
    case 'cancellation':
    case 'repurchase':
    case 'transfer': {
      const moved =
        type === 'transfer'
          ? (request.transferees ?? []).reduce((sum, { amount }) => sum + amount, 0)
          : (request.quantity ?? target!.amount);
      if (moved > target!.amount || moved <= 0) {
        return new CertificateError('shares_not_conserved', `${target!.id} holds ${target!.amount} shares; ${moved} cannot leave it`, {
          details: { certificate: target!.id, amount: target!.amount, requested: moved },
        });
      }
      quantity = moved;
      if (type === 'transfer') for (const { name, amount, terms } of request.transferees!) issue(name, amount, terms);
      if (moved < target!.amount) balance = issue(target!.name, target!.amount - moved, target!.terms);
      break;
    }
    case 'reissuance':
      issue(target!.name, target!.amount, request.terms ?? target!.terms);
      break;
    case 'adjustment':
      if (request.authorized! < batch.outstanding) {
        return new CertificateError(
          'below_outstanding',
          `Class ${code} has ${batch.outstanding} shares outstanding; its authorized shares cannot be set to ${request.authorized}`,
          { details: { class: code, outstanding: batch.outstanding, requested: request.authorized } },
        );
      }
      batch.authorized = request.authorized!;
      break;
    case 'legend':
      if (state.hasLegend(request.legend!.id) || batch.acted.has(`legend:${request.legend!.id}`)) {
        return new CertificateError('duplicate_legend', `Legend template ${request.legend!.id} is defined already`, {
          details: { legend: request.legend!.id },
        });
      }
      batch.acted.add(`legend:${request.legend!.id}`);
      break;
    case 'stop':
      break;
  }
  if (target !== undefined) {
    batch.acted.add(target.id);
    // What leaves the certificate and does not come back on a result is retired.
    const carried = results.reduce((sum, { amount }) => sum + amount, 0);
    if (type !== 'stop') batch.outstanding += carried - target.amount;
  }
  const { certificate, reason, price, authorized, approvedOn, legend, ref, idempotencyKey, principal, requestId } = request;
  const event: EventRecord = {
    event: type,
    class: code,
    at,
    ...(certificate === undefined ? {} : { certificate }),
    ...(quantity === undefined ? {} : { quantity }),
    ...(type === 'cancellation' || type === 'transfer' || type === 'reissuance' || type === 'repurchase'
      ? { results: results.map(({ id }) => id) }
      : {}),
    ...(balance === undefined ? {} : { balance }),
    ...(reason === undefined ? {} : { reason }),
    ...(price === undefined || type !== 'repurchase' ? {} : { price }),
    ...(type === 'adjustment' ? { authorized, approvedOn } : {}),
    ...(type === 'legend' ? { legend } : {}),
    ...(ref === undefined ? {} : { ref }),
    request: writerRequest,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    principal,
    requestId,
  };
  return [event, ...results];
}
