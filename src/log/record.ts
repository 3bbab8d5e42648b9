import { certificateId, type Certificate } from '../actors/certificate.js';

/**
 * The audit trail's record format: key = class code, value = the certificate as one JSON object.
 * Recovery, lookup and the audit tool all decode through here, so the format has one definition.
 */
export function encodeValue(certificate: Certificate): string {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued } = certificate;
  // Fixed field order keeps the trail readable line by line in kafka-console-consumer.
  return JSON.stringify({ id, class: shareClass, number, name, amount, issuedAt, sharesIssued });
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
export function decodeRecord(key: string | null, value: string | null): Certificate {
  if (value === null) throw new MalformedRecord('empty value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new MalformedRecord(`value is not JSON: ${value.slice(0, 80)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRecord('value is not a JSON object');
  const record = parsed as Record<string, unknown>;
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued } = record;
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
  return { id, class: shareClass, number, name, amount, issuedAt, sharesIssued };
}
