import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { CertificateError } from '../core/errors.js';
import { eventId, type EventDone, type EventRecord, type EventType, type LoggedEvent } from '../core/events.js';
import type { Standing } from '../core/log-state.js';
import type { Role } from '../core/principal.js';
import { readJsonBody, type BodyLimits } from './body.js';
import type { Issuer } from './issuer.js';
import { requestIdOf } from './request-id.js';
import { principalOf } from './request-state.js';
import { parseIdempotencyKey } from './validate.js';
import { parseEventBody, type EventAsked } from './validate-events.js';

/**
 * The role each event needs (docs/security.md): a reissuance issues a replacement; a stop and a
 * repurchase take a certificate out of circulation as a cancellation does; an adjustment and a
 * legend template change the class.
 */
export const EVENT_ROLES: Readonly<Record<EventType, Role>> = {
  cancellation: 'certificates:cancel',
  transfer: 'certificates:transfer',
  reissuance: 'certificates:issue',
  repurchase: 'certificates:cancel',
  stop: 'certificates:cancel',
  adjustment: 'classes:adjust',
  legend: 'classes:adjust',
};

/** The events that act on one certificate, each at POST /certificates/{id}/{event}. */
export const CERTIFICATE_EVENT_PATHS = ['cancellation', 'transfer', 'reissuance', 'repurchase', 'stop'] as const;

/**
 * The largest event body taken: a transfer to 49 holders with their terms, or a legend's 4,000
 * characters (escaped up to six bytes each), need more than an issuance's body limit; each field is
 * bounded on its own besides (src/http/validate-events.ts).
 */
export const EVENT_MAX_BYTES = 64 * 1024;

const ANSWERED_FIELDS = [
  'class',
  'at',
  'certificate',
  'quantity',
  'results',
  'balance',
  'reason',
  'price',
  'authorized',
  'approvedOn',
  'legend',
  'principal',
] as const satisfies ReadonlyArray<keyof EventRecord>;

/** An event as the API answers it: its id, type and offset, and what it says; not the log's bookkeeping. */
export function eventJson(logged: LoggedEvent): Record<string, unknown> {
  const { record } = logged;
  const fields = Object.fromEntries(ANSWERED_FIELDS.filter((field) => record[field] !== undefined).map((field) => [field, record[field]]));
  return { id: eventId(logged), type: record.event, offset: logged.offset, ...fields };
}

/** A certificate's status and links, as GET /certificates/{id} answers them beside the certificate. */
export function standingJson(standing: Standing): { status: Standing['status'] } & Record<string, unknown> {
  const { status, closedBy, issuedBy } = standing;
  return {
    status,
    ...(closedBy === undefined
      ? {}
      : {
          closedBy: { id: eventId(closedBy), type: closedBy.record.event, at: closedBy.record.at },
          ...(closedBy.record.results === undefined || closedBy.record.results.length === 0 ? {} : { replacedBy: closedBy.record.results }),
        }),
    ...(issuedBy === undefined ? {} : { issuedBy: { id: eventId(issuedBy), type: issuedBy.record.event } }),
  };
}

/**
 * POST routes for the events on certificates and classes (src/core/events.ts), each behind its own
 * role; the answer is the event and the certificates it issued, 201 also for a replay of an
 * `Idempotency-Key` (which says so in `Idempotent-Replayed`), as an issuance answers.
 */
export function eventRoutes(router: Router, issuer: Issuer, limits: BodyLimits, guard: (role: Role) => Middleware): void {
  const eventLimits: BodyLimits = { ...limits, maxBytes: Math.max(limits.maxBytes, EVENT_MAX_BYTES) };
  const answer = async (ctx: Context, asked: EventAsked): Promise<void> => {
    const done: EventDone = await issuer.act({ ...asked, principal: principalOf(ctx).id, requestId: requestIdOf(ctx) });
    ctx.status = 201;
    if (done.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.body = { event: eventJson(done.event), results: done.results };
  };
  const key = (ctx: Context): string | undefined => parseIdempotencyKey(ctx.headers['idempotency-key']);

  for (const type of CERTIFICATE_EVENT_PATHS) {
    router.post(`/certificates/:id/${type}`, guard(EVENT_ROLES[type]), async (ctx) => {
      const idempotencyKey = key(ctx);
      await answer(ctx, parseEventBody(type, { certificate: ctx.params.id! }, await readJsonBody(ctx, eventLimits), idempotencyKey));
    });
  }
  router.post('/classes/:class/adjustment', guard(EVENT_ROLES.adjustment), async (ctx) => {
    const idempotencyKey = key(ctx);
    await answer(ctx, parseEventBody('adjustment', { class: ctx.params.class! }, await readJsonBody(ctx, limits), idempotencyKey));
  });
  // Legends are defined per class in the log: the body names it beside the template.
  router.post('/legends', guard(EVENT_ROLES.legend), async (ctx) => {
    const idempotencyKey = key(ctx);
    const body = await readJsonBody(ctx, eventLimits);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new CertificateError('invalid_body', 'Expected a JSON object {"class", "id", "name", "text"}');
    }
    const { class: shareClass, ...legend } = body as Record<string, unknown>;
    await answer(ctx, parseEventBody('legend', { class: shareClass as string }, { legend }, idempotencyKey));
  });
}

/** GET /certificates/{id}/events: the events that issued the certificate and that acted on it, in log order. */
export function historyOf(issuer: Issuer, id: string): Array<Record<string, unknown>> {
  return issuer
    .events()
    .filter(({ record }) => record.certificate === id || record.results?.includes(id) === true)
    .map(eventJson);
}
