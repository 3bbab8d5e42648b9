import {
  certificateId,
  certificateRecord,
  isRecordedIdempotencyKey,
  type Certificate,
  type CertificateRecord,
  type LoggedRecord,
} from './certificate.js';
import type { EncodedRecord } from './ledger.js';
import { isPrincipalId, isRequestId } from './provenance.js';
import { decodeSeal, SEAL_KEY } from './seal.js';

/**
 * The audit trail's record format: key = class code, value = the certificate as one JSON object,
 * with the offset its writer stated and the request it answers, then who asked for it and under
 * which `Request-Id` (absent in records written before those were recorded), then the offset of the
 * seal that signs its write (absent before signing). Seals (key `seal`) are src/core/seal.ts's.
 * Recovery, the follower tail, lookup and the audit tool all decode through here, so the format has
 * one definition; it lives in the core because a signed record's leaf hashes its exact bytes.
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
    offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    seal,
  });
}

/** Records as the log stores them (key = class code): what a writer of unsigned records appends. */
export function encodeRecords(records: readonly CertificateRecord[]): EncodedRecord[] {
  return records.map((record) => ({ key: record.class, value: encodeValue(record) }));
}

export class MalformedRecord extends Error {
  constructor(reason: string) {
    super(`Malformed certificate record: ${reason}`);
    this.name = 'MalformedRecord';
  }
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Parses and checks one record; throws MalformedRecord saying which field is wrong. */
export function decodeRecord(key: string | null, value: string | null): CertificateRecord {
  if (value === null) throw new MalformedRecord('empty value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new MalformedRecord(`value is not JSON: ${value.slice(0, 80)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRecord('value is not a JSON object');
  const record = parsed as Record<string, unknown>;
  const {
    id,
    class: shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    seal,
  } = record;
  if (typeof shareClass !== 'string' || shareClass.length === 0) throw new MalformedRecord('class is missing');
  if (key !== shareClass) throw new MalformedRecord(`key ${JSON.stringify(key)} differs from class ${shareClass}`);
  if (!positiveInteger(number)) throw new MalformedRecord(`number ${JSON.stringify(number)} is not a positive integer`);
  if (id !== certificateId(shareClass, number))
    throw new MalformedRecord(`id ${JSON.stringify(id)} does not match ${shareClass}-${number}`);
  if (typeof name !== 'string' || name.length === 0) throw new MalformedRecord(`${String(id)}: name is missing`);
  if (!positiveInteger(amount)) throw new MalformedRecord(`${String(id)}: amount ${JSON.stringify(amount)} is not a positive integer`);
  if (!positiveInteger(sharesIssued) || sharesIssued < amount) {
    throw new MalformedRecord(`${String(id)}: sharesIssued ${JSON.stringify(sharesIssued)} is not a running total`);
  }
  if (typeof issuedAt !== 'string' || Number.isNaN(Date.parse(issuedAt)))
    throw new MalformedRecord(`${String(id)}: issuedAt is not a date`);
  if (offset !== undefined && !(Number.isSafeInteger(offset) && (offset as number) >= 0))
    throw new MalformedRecord(`${String(id)}: offset ${JSON.stringify(offset)} is not an offset`);
  if (request !== undefined && (typeof request !== 'string' || request.length === 0))
    throw new MalformedRecord(`${String(id)}: request ${JSON.stringify(request)} is not a request id`);
  if (idempotencyKey !== undefined && !(typeof idempotencyKey === 'string' && isRecordedIdempotencyKey(idempotencyKey)))
    throw new MalformedRecord(`${String(id)}: idempotencyKey ${JSON.stringify(idempotencyKey)} is not an idempotency key`);
  // Both or neither: a record written before principals were recorded has neither.
  if ((principal !== undefined || requestId !== undefined) && !isPrincipalId(principal))
    throw new MalformedRecord(`${String(id)}: principal ${JSON.stringify(principal)?.slice(0, 80)} is not a principal id`);
  if (principal !== undefined && !isRequestId(requestId))
    throw new MalformedRecord(`${String(id)}: requestId ${JSON.stringify(requestId)?.slice(0, 80)} is not a request id`);
  // A signed record states where it was to land and where its seal follows it.
  if (seal !== undefined && !(Number.isSafeInteger(seal) && offset !== undefined && (seal as number) > (offset as number)))
    throw new MalformedRecord(`${String(id)}: seal ${JSON.stringify(seal)} is not an offset after the record's own`);
  // Every field was checked above.
  return certificateRecord(
    record as unknown as Certificate,
    offset as number | undefined,
    request as string | undefined,
    idempotencyKey as string | undefined,
    principal as string | undefined,
    requestId as string | undefined,
    seal as number | undefined,
  );
}

/** A record read at `offset`, decoded (a certificate or a seal) or marked malformed: what every reader hands the validity rule. */
export function readRecord(offset: number, key: string | null, value: string | null): LoggedRecord {
  if (key === SEAL_KEY && value !== null) {
    const decoded = decodeSeal(value);
    return 'seal' in decoded ? { offset, seal: decoded.seal, value } : { offset, malformed: decoded.malformed };
  }
  try {
    return { offset, record: decodeRecord(key, value), value: value! };
  } catch (error) {
    if (!(error instanceof MalformedRecord)) throw error;
    return { offset, malformed: error.message };
  }
}
