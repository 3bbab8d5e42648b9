import type { ShareClassConfig } from '../../src/actors/share-class-actor.js';
import { LogAudit, type Acknowledged, type AuditReport } from '../../src/audit/check.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { broker } from './broker.js';

/** Runs the audit tool's checks over the whole topic on the suite's broker (or `brokers`), as `npm run audit` would. */
export async function auditTopic(
  topic: string,
  shareClasses: readonly ShareClassConfig[],
  acknowledged: Iterable<Acknowledged> = [],
  brokers: readonly string[] = broker().brokers,
): Promise<AuditReport> {
  const audit = new LogAudit(shareClasses, acknowledged);
  const ledger = new KafkaLedger({ brokers, topic, clientId: 'test-audit' });
  try {
    await ledger.readAll((entries) => audit.add(entries));
  } finally {
    await ledger.disconnect();
  }
  return audit.report();
}
