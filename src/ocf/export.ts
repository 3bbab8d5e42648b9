import { createHash } from 'node:crypto';
import type { CertificateRecord } from '../core/certificate.js';
import { eventId, type LoggedEvent } from '../core/events.js';
import type { Applied } from '../core/log-state.js';
import type { ShareClassConfig } from '../core/share-class.js';
import { dateOf, ISSUANCE_PREFIX, issuerIdOf, stakeholderIdOf, ZERO_PRICE } from './ids.js';
import { OCF_VERSION, type FileType } from './schemas.js';

/** What an OCF export says of the issuer: COMPANY_NAME, ISSUER_FORMATION_DATE and ISSUER_COUNTRY. */
export interface IssuerSettings {
  readonly legalName: string;
  /** Unset: the date of the ledger's first certificate (or of the export, while it has none). */
  readonly formationDate?: string;
  readonly country: string;
}

/** The ledger as of an offset: its classes and, in log order, every certificate and event it holds. */
export interface LedgerHistory {
  readonly classes: readonly ShareClassConfig[];
  readonly entries: readonly Applied[];
  /** The offset after the last record read: the export is the ledger as of there. */
  readonly end: number;
}

type OcfObject = Record<string, unknown> & { readonly object_type: string; readonly id: string };

/** One file of an OCF package: its path in the zip and its bytes. */
export interface OcfFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** The files of a package, their names in the zip, and which manifest list names each. */
export const PACKAGE_FILES = [
  { path: 'StockClasses.ocf.json', type: 'OCF_STOCK_CLASSES_FILE', list: 'stock_classes_files' },
  { path: 'Stakeholders.ocf.json', type: 'OCF_STAKEHOLDERS_FILE', list: 'stakeholders_files' },
  { path: 'StockLegendTemplates.ocf.json', type: 'OCF_STOCK_LEGEND_TEMPLATES_FILE', list: 'stock_legend_templates_files' },
  { path: 'Transactions.ocf.json', type: 'OCF_TRANSACTIONS_FILE', list: 'transactions_files' },
] as const satisfies ReadonlyArray<{ path: string; type: FileType; list: string }>;
export const MANIFEST_PATH = 'Manifest.ocf.json';
/** The manifest's lists of files this service writes none of (and imports none from). */
export const EMPTY_LISTS = ['stock_plans_files', 'vesting_terms_files', 'valuations_files'] as const;

const encoder = new TextEncoder();

/** How every file is written: JSON, two-space indented, one final newline. */
export function fileBytes(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
}

export function md5Of(bytes: Uint8Array): string {
  // OCF's manifest names each file by its MD5 (types/Md5): a checksum against damage, not a signature.
  return createHash('md5').update(bytes).digest('hex');
}

function issuanceOf(certificate: CertificateRecord, country: string): OcfObject {
  const { id, class: shareClass, name, amount, issuedAt, terms } = certificate;
  return {
    object_type: 'TX_STOCK_ISSUANCE',
    id: `${ISSUANCE_PREFIX}${id}`,
    date: dateOf(issuedAt),
    security_id: id,
    custom_id: id,
    stakeholder_id: terms?.holder ?? stakeholderIdOf(name),
    stock_class_id: shareClass,
    quantity: String(amount),
    share_price: terms?.price ?? ZERO_PRICE,
    stock_legend_ids: terms?.legends ?? [],
    ...(terms?.approvedOn === undefined ? {} : { board_approval_date: terms.approvedOn }),
    security_law_exemptions: terms?.exemption === undefined ? [] : [{ description: terms.exemption, jurisdiction: country }],
  };
}

/** The event as an OCF transaction; undefined for what OCF has no transaction for (a stop) or keeps elsewhere (a legend template). */
function transactionOf(event: LoggedEvent): OcfObject | undefined {
  const { record } = event;
  const head = { id: eventId(event), date: dateOf(record.at) };
  const comments = record.reason === undefined ? {} : { comments: [record.reason] };
  const balance = record.balance === undefined ? {} : { balance_security_id: record.balance };
  switch (record.event) {
    case 'cancellation':
      return {
        object_type: 'TX_STOCK_CANCELLATION',
        ...head,
        security_id: record.certificate,
        quantity: String(record.quantity),
        // OCF requires a reason; the ledger's is optional.
        reason_text: record.reason ?? 'cancelled',
        ...balance,
      };
    case 'transfer':
      return {
        object_type: 'TX_STOCK_TRANSFER',
        ...head,
        security_id: record.certificate,
        quantity: String(record.quantity),
        resulting_security_ids: record.results!.filter((id) => id !== record.balance),
        ...balance,
        ...comments,
      };
    case 'reissuance':
      return {
        object_type: 'TX_STOCK_REISSUANCE',
        ...head,
        security_id: record.certificate,
        resulting_security_ids: record.results,
        ...(record.reason === undefined ? {} : { reason_text: record.reason }),
      };
    case 'repurchase':
      return {
        object_type: 'TX_STOCK_REPURCHASE',
        ...head,
        security_id: record.certificate,
        quantity: String(record.quantity),
        price: record.price ?? ZERO_PRICE,
        ...balance,
        ...comments,
      };
    case 'adjustment':
      return {
        object_type: 'TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT',
        ...head,
        stock_class_id: record.class,
        new_shares_authorized: String(record.authorized),
        board_approval_date: record.approvedOn,
        ...comments,
      };
    case 'stop':
    case 'legend':
      return undefined;
  }
}

/** The OCF objects of the ledger, by file, before they are written. */
export interface CapTable {
  readonly issuer: OcfObject;
  readonly asOf: string;
  readonly files: Readonly<Record<(typeof PACKAGE_FILES)[number]['type'], readonly OcfObject[]>>;
}

/**
 * The ledger as OCF objects: every configured class a stock class (its configured authorized shares
 * the initial ones; each adjustment a transaction), every holder a stakeholder, every legend
 * template, and in log order a TX_STOCK_ISSUANCE for every certificate and a transaction for every
 * event but stops, which OCF has no transaction for. `today` dates an empty ledger's package.
 */
export function capTableOf(history: LedgerHistory, issuer: IssuerSettings, today: string): CapTable {
  const stakeholders = new Map<string, OcfObject>();
  const legends: OcfObject[] = [];
  const transactions: OcfObject[] = [];
  let firstDate: string | undefined;
  let lastDate: string | undefined;
  for (const entry of history.entries) {
    if (entry.event !== undefined) {
      const { record } = entry.event;
      if (record.event === 'legend') {
        const { id, name, text } = record.legend!;
        legends.push({ object_type: 'STOCK_LEGEND_TEMPLATE', id, name, text });
      }
      const transaction = transactionOf(entry.event);
      if (transaction === undefined) continue;
      transactions.push(transaction);
      lastDate = transaction.date as string;
      continue;
    }
    const certificate = entry.record;
    const issuance = issuanceOf(certificate, issuer.country);
    const holder = issuance.stakeholder_id as string;
    if (!stakeholders.has(holder))
      stakeholders.set(holder, {
        object_type: 'STAKEHOLDER',
        id: holder,
        name: { legal_name: certificate.name },
        stakeholder_type: 'INDIVIDUAL',
      });
    transactions.push(issuance);
    firstDate ??= issuance.date as string;
    lastDate = issuance.date as string;
  }
  const classes = history.classes.map(({ code, authorized, name }) => ({
    object_type: 'STOCK_CLASS',
    id: code,
    name: name ?? code,
    // The ledger knows a class by its code and display name only: preferred when the name says so.
    class_type: /preferred/i.test(name ?? '') ? 'PREFERRED' : 'COMMON',
    default_id_prefix: `${code}-`,
    initial_shares_authorized: String(authorized),
    votes_per_share: '1',
    seniority: '1',
  }));
  return {
    issuer: {
      object_type: 'ISSUER',
      id: issuerIdOf(issuer.legalName),
      legal_name: issuer.legalName,
      formation_date: issuer.formationDate ?? firstDate ?? today,
      country_of_formation: issuer.country,
    },
    // The package is the ledger as of its newest change: the same date however often it is exported.
    asOf: lastDate ?? today,
    files: {
      OCF_STOCK_CLASSES_FILE: classes,
      OCF_STAKEHOLDERS_FILE: [...stakeholders.values()],
      OCF_STOCK_LEGEND_TEMPLATES_FILE: legends,
      OCF_TRANSACTIONS_FILE: transactions,
    },
  };
}

/** The package's files: each object file, then the manifest naming them with their MD5s, generated at `now`. */
export function ocfPackage(capTable: CapTable, now: Date): OcfFile[] {
  const files: OcfFile[] = PACKAGE_FILES.map(({ path, type }) => ({
    path,
    bytes: fileBytes({ file_type: type, items: capTable.files[type] }),
  }));
  const lists: Record<string, Array<{ filepath: string; md5: string }>> = {};
  for (const list of EMPTY_LISTS) lists[list] = [];
  PACKAGE_FILES.forEach(({ list }, index) => {
    lists[list] = [{ filepath: files[index]!.path, md5: md5Of(files[index]!.bytes) }];
  });
  const manifest = {
    ocf_version: OCF_VERSION,
    file_type: 'OCF_MANIFEST_FILE',
    issuer: capTable.issuer,
    as_of: capTable.asOf,
    generated_at: now.toISOString(),
    ...lists,
  };
  return [{ path: MANIFEST_PATH, bytes: fileBytes(manifest) }, ...files];
}
