import { certificateId, certificateRecord, type Certificate, type CertificateRecord } from './certificate.js';
import type { LoggedRecord } from './logged-record.js';
import type { EncodedRecord } from './ledger.js';
import { eventProblem, provenanceProblem, type EventRecord } from './events.js';
import { decodeSeal, SEAL_KEY } from './seal.js';
import { canonicalTerms, isPositiveInteger, termsProblem } from './terms.js';

/**
 * The audit trail's record format: key = class code, value = the certificate as one JSON object,
 * with its terms and the event that issued it (each absent when there is none), the offset its
 * writer stated and the request it answers, then who asked for it and under which `Request-Id`
 * (absent in records written before those were recorded), then the offset of the seal that signs
 * its write (absent before signing). An event (src/core/events.ts) is a JSON object whose first
 * field is `event`; seals (key `seal`) are src/core/seal.ts's. Recovery, the follower tail, lookup
 * and the audit tool all decode through here, so the format has one definition; it lives in the
 * core because a signed record's leaf hashes its exact bytes.
 */
export function encodeValue(record: CertificateRecord): string {
  const {
    id,
    class: shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    terms,
    origin,
    offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    seal,
  } = record;
  // Fixed field order keeps the trail readable line by line in kafka-console-consumer.
  return JSON.stringify({
    id,
    class: shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    terms: terms === undefined ? undefined : canonicalTerms(terms),
    origin,
    offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    seal,
  });
}

/** An event's value: its fields in one order, then the bookkeeping a certificate record has. */
export function encodeEvent(record: EventRecord): string {
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
  } = record;
  const { offset, request, idempotencyKey, principal, requestId, seal } = record;
  return JSON.stringify({
    event,
    class: shareClass,
    at,
    certificate,
    quantity,
    results,
    balance,
    reason,
    price: price === undefined ? undefined : { amount: price.amount, currency: price.currency },
    authorized,
    approvedOn,
    legend: legend === undefined ? undefined : { id: legend.id, name: legend.name, text: legend.text },
    ref,
    offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    seal,
  });
}

/** A record's value as the log holds it, whichever kind it is. */
export function encodeEntry(record: CertificateRecord | EventRecord): string {
  return 'event' in record ? encodeEvent(record) : encodeValue(record);
}

/** Records as the log stores them (key = class code): what a writer of unsigned records appends. */
export function encodeRecords(records: ReadonlyArray<CertificateRecord | EventRecord>): EncodedRecord[] {
  return records.map((record) => ({ key: record.class, value: encodeEntry(record) }));
}

export class MalformedRecord extends Error {
  constructor(reason: string) {
    super(`Malformed certificate record: ${reason}`);
    this.name = 'MalformedRecord';
  }
}

function parseObject(value: string | null): Record<string, unknown> {
  if (value === null) throw new MalformedRecord('empty value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new MalformedRecord(`value is not JSON: ${value.slice(0, 80)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRecord('value is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Parses and checks one certificate record; throws MalformedRecord saying which field is wrong. */
export function decodeRecord(key: string | null, value: string | null): CertificateRecord {
  return checkCertificate(key, parseObject(value));
}

function checkCertificate(key: string | null, record: Record<string, unknown>): CertificateRecord {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms, origin, offset } = record;
  if (typeof shareClass !== 'string' || shareClass.length === 0) throw new MalformedRecord('class is missing');
  if (key !== shareClass) throw new MalformedRecord(`key ${JSON.stringify(key)} differs from class ${shareClass}`);
  if (!isPositiveInteger(number)) throw new MalformedRecord(`number ${JSON.stringify(number)} is not a positive integer`);
  if (id !== certificateId(shareClass, number))
    throw new MalformedRecord(`id ${JSON.stringify(id)} does not match ${shareClass}-${number}`);
  if (typeof name !== 'string' || name.length === 0) throw new MalformedRecord(`${String(id)}: name is missing`);
  if (!isPositiveInteger(amount)) throw new MalformedRecord(`${String(id)}: amount ${JSON.stringify(amount)} is not a positive integer`);
  if (!isPositiveInteger(sharesIssued) || sharesIssued < amount) {
    throw new MalformedRecord(`${String(id)}: sharesIssued ${JSON.stringify(sharesIssued)} is not a running total`);
  }
  if (typeof issuedAt !== 'string' || Number.isNaN(Date.parse(issuedAt)))
    throw new MalformedRecord(`${String(id)}: issuedAt is not a date`);
  const termsWrong = terms === undefined ? undefined : termsProblem(terms);
  if (termsWrong !== undefined) throw new MalformedRecord(`${String(id)}: ${termsWrong}`);
  // An event's result states where the event is, which comes before it in the same write.
  if (
    origin !== undefined &&
    !(Number.isSafeInteger(origin) && offset !== undefined && (origin as number) >= 0 && (origin as number) < (offset as number))
  )
    throw new MalformedRecord(`${String(id)}: origin ${JSON.stringify(origin)} is not an offset before the record's own`);
  const wrong = provenanceProblem(record);
  if (wrong !== undefined) throw new MalformedRecord(`${String(id)}: ${wrong}`);
  // Every field was checked above.
  return certificateRecord(
    record as unknown as Certificate,
    offset as number | undefined,
    record.request as string | undefined,
    record.idempotencyKey as string | undefined,
    record.principal as string | undefined,
    record.requestId as string | undefined,
    record.seal as number | undefined,
  );
}

/** Every field an event record may carry, checked against the type: built once, not per record read. */
const EVENT_RECORD_FIELDS: ReadonlySet<string> = new Set([
  'event',
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
  'ref',
  'offset',
  'request',
  'idempotencyKey',
  'principal',
  'requestId',
  'seal',
] satisfies ReadonlyArray<keyof EventRecord>);

/** Checks an event's fields (src/core/events.ts) and bookkeeping; throws MalformedRecord saying which is wrong. */
function checkEvent(key: string | null, record: Record<string, unknown>): EventRecord {
  const wrong = eventProblem(record) ?? provenanceProblem(record);
  if (wrong !== undefined) throw new MalformedRecord(`${String(record.event)} event: ${wrong}`);
  if (key !== record.class)
    throw new MalformedRecord(`${String(record.event)} event: key ${JSON.stringify(key)} differs from class ${String(record.class)}`);
  const extra = Object.keys(record).find((field) => !EVENT_RECORD_FIELDS.has(field));
  if (extra !== undefined) throw new MalformedRecord(`${String(record.event)} event: unknown field ${JSON.stringify(extra)}`);
  return record as unknown as EventRecord;
}

/** A record read at `offset`, decoded (a certificate, an event or a seal) or marked malformed: what every reader hands the validity rule. */
export function readRecord(offset: number, key: string | null, value: string | null): LoggedRecord {
  if (key === SEAL_KEY && value !== null) {
    const decoded = decodeSeal(value);
    return 'seal' in decoded ? { offset, seal: decoded.seal, value } : { offset, malformed: decoded.malformed };
  }
  try {
    const parsed = parseObject(value);
    if ('event' in parsed) return { offset, event: checkEvent(key, parsed), value: value! };
    return { offset, record: checkCertificate(key, parsed), value: value! };
  } catch (error) {
    if (!(error instanceof MalformedRecord)) throw error;
    return { offset, malformed: error.message };
  }
}
