import type { ShareClassConfig } from '../../src/core/share-class.js';
import { LogAudit, type Acknowledged, type AuditReport } from '../../src/audit/check.js';
import { DEFAULTS } from '../../src/config.js';
import { broker } from './broker.js';
import { ledgerOn } from './settings.js';
import { signingKeys } from './signing.js';

/**
 * Runs the audit tool's checks over the whole topic on the suite's broker (or `brokers`), as `npm run audit` would,
 * trusting the key the test's services sign with.
 */
export async function auditTopic(
  topic: string,
  shareClasses: readonly ShareClassConfig[],
  acknowledged: Iterable<Acknowledged> = [],
  brokers: readonly string[] = broker().brokers,
): Promise<AuditReport> {
  const audit = new LogAudit(shareClasses, DEFAULTS.keyWindow, acknowledged, { verifier: signingKeys() });
  const ledger = ledgerOn(topic, 'test-audit', brokers);
  try {
    await ledger.readAll((entries) => audit.add(entries));
  } finally {
    await ledger.disconnect();
  }
  return audit.report();
}
