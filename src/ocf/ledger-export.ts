import type { Ledger } from '../core/ledger.js';
import { LogState } from '../core/log-state.js';
import type { KeyWindow } from '../core/remembered-keys.js';
import type { SealVerifier } from '../core/seal.js';
import type { ShareClassConfig } from '../core/share-class.js';
import { capTableOf, ocfPackage, type CapTable, type IssuerSettings } from './export.js';
import { readHistory } from './history.js';
import { zipPackage } from './zip.js';

/** How the ledger is read for an export: as the service reads it, with the keys it trusts. */
export interface ExportSettings {
  readonly classes: readonly ShareClassConfig[];
  readonly keyWindow: KeyWindow;
  readonly verifier: SealVerifier;
  readonly issuer: IssuerSettings;
}

/** An export: the `.ocf.zip`, the offset it is the ledger as of, and what it holds. */
export interface LedgerExport {
  readonly zip: Uint8Array;
  readonly end: number;
  readonly capTable: CapTable;
}

/** The ledger up to offset `to` (its end when absent) as an OCF package, zipped: what `npm run ocf -- export` and GET /ocf/export give. */
export async function exportLedger(
  ledger: Pick<Ledger, 'bounds' | 'read'>,
  settings: ExportSettings,
  to?: number,
  now = new Date(),
): Promise<LedgerExport> {
  const state = new LogState(settings.classes, settings.keyWindow, undefined, settings.verifier);
  const history = await readHistory(ledger, state, settings.classes, to);
  const capTable = capTableOf(history, settings.issuer, now.toISOString().slice(0, 10));
  return { zip: zipPackage(ocfPackage(capTable, now)), end: history.end, capTable };
}

/** The name an export is saved under: the topic and the offset it is the ledger as of. */
export function exportFileName(topic: string, end: number): string {
  return `${topic}-${end}.ocf.zip`;
}
