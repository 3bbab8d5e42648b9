import type { Ledger } from '../core/ledger.js';
import type { LogState } from '../core/log-state.js';
import type { ShareClassConfig } from '../core/share-class.js';
import type { LedgerHistory } from './export.js';

/**
 * The ledger up to offset `to` (the log's end when absent), read from its start into `state` (new,
 * built as the service builds its own, with the same trusted keys) and judged by the same rule: the
 * certificates and events in log order, which an export lists its transactions in. The service's own
 * state keeps no such order, so even a running instance reads the log again for an export, as the audit does.
 */
export async function readHistory(
  ledger: Pick<Ledger, 'bounds' | 'read'>,
  state: LogState,
  classes: readonly ShareClassConfig[],
  to?: number,
): Promise<LedgerHistory> {
  const { low, high } = await ledger.bounds();
  const end = Math.min(to ?? high, high);
  const entries: LedgerHistory['entries'][number][] = [];
  await ledger.read(low, end, (records) => {
    for (const applied of state.apply(records)) entries.push(applied);
  });
  state.readTo(end);
  return { classes, entries, end };
}
