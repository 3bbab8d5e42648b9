import { certificateOf, type Certificate, type CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { ValidityRule } from '../../src/core/validity.js';
import { ledgerOn } from './settings.js';
import { signingKeys } from './signing.js';

/** Every record in the topic, decoded where it can be, oldest first: what an auditor would read. */
export async function readLog(topic: string): Promise<LoggedRecord[]> {
  const ledger = ledgerOn(topic, 'test-reader');
  const all: LoggedRecord[] = [];
  try {
    await ledger.readAll((entries) => all.push(...entries));
  } finally {
    await ledger.disconnect();
  }
  return all;
}

/** The records the service's rule makes certificates, oldest first, with what only the log keeps (offset, key). */
export async function readCertificateRecords(topic: string, shareClasses: readonly ShareClassConfig[]): Promise<CertificateRecord[]> {
  const rule = new ValidityRule(shareClasses, signingKeys());
  const certificates: CertificateRecord[] = [];
  for (const entry of await readLog(topic)) {
    for (const verdict of rule.judge(entry)) if (verdict.kind === 'certificate') certificates.push(verdict.record);
  }
  return certificates;
}

/** The certificates among the topic's records, as the service's rule decides them, oldest first. */
export async function readCertificates(topic: string, shareClasses: readonly ShareClassConfig[]): Promise<Certificate[]> {
  return (await readCertificateRecords(topic, shareClasses)).map(certificateOf);
}

/** Where an entry's writer meant it to land: a record states its offset, a seal sits right after the records it signs. */
export function statedOffset(entry: LoggedRecord): number | undefined {
  if (entry.seal !== undefined) return entry.seal.head.first + entry.seal.head.count;
  return entry.record?.offset;
}

/** The records and seals that landed away from where their writer stated them: a stale, late or retried write's. */
export function misplacedEntries(log: readonly LoggedRecord[]): LoggedRecord[] {
  return log.filter((entry) => {
    const stated = statedOffset(entry);
    return stated !== undefined && stated !== entry.offset;
  });
}
