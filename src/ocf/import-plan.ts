import { parseCertificateId, type IssueRequest } from '../core/certificate.js';
import { CertificateError } from '../core/errors.js';
import { MAX_LEGEND_TEXT, type EventRequest, type LegendTemplate, type Transferee } from '../core/events.js';
import type { ShareClassConfig } from '../core/share-class.js';
import { isItemId, isMoney, isShortText, termsProblem, type Money, type Terms } from '../core/terms.js';
import { parseName } from '../http/validate.js';
import { isZeroPrice, stakeholderIdOf, timeOf } from './ids.js';
import type { OcfContents, ReadObject } from './package-reader.js';

/** One write of the replay: an issuance, or an event and the certificates it must issue, in order. */
export type ImportStep =
  | { readonly kind: 'issue'; readonly tx: string; readonly id: string; readonly request: Omit<IssueRequest, 'principal' | 'requestId'> }
  | {
      readonly kind: 'event';
      readonly tx: string;
      readonly request: Omit<EventRequest, 'principal' | 'requestId'>;
      /** The certificates the event must issue, in order (the file's resulting securities, the balance last). */
      readonly results: readonly string[];
    };

/** What an import writes: the legend templates first, then the transactions in the file's order. */
export interface ImportPlan {
  readonly issuerName: string;
  readonly legends: readonly LegendTemplate[];
  readonly steps: readonly ImportStep[];
  readonly certificates: number;
}

/** The transactions this ledger replays; any other is refused. */
const SUPPORTED = new Set([
  'TX_STOCK_ISSUANCE',
  'TX_STOCK_CANCELLATION',
  'TX_STOCK_TRANSFER',
  'TX_STOCK_REISSUANCE',
  'TX_STOCK_REPURCHASE',
  'TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT',
]);

function refuse(object: { readonly object_type?: unknown; readonly id?: unknown }, message: string): never {
  throw new CertificateError('invalid_import', `${String(object.object_type)} ${JSON.stringify(object.id)}: ${message}`, {
    details: { object: object.id },
  });
}

/** A whole number of shares as OCF writes one (a decimal text), or undefined. */
function shares(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) return undefined;
  const count = Number(value);
  return Number.isSafeInteger(count) && count > 0 ? count : undefined;
}

/** A certificate as the file issues it: its class, number, holder, shares and terms. */
interface Security {
  readonly tx: ReadObject;
  readonly id: string;
  readonly class: string;
  readonly number: number;
  readonly name: string;
  readonly stakeholder: string;
  readonly amount: number;
  readonly terms: Terms | undefined;
}

/**
 * The replay of an OCF package into an empty ledger with `classes`, checked against the cap table's
 * rules before anything is written, refused with `invalid_import` naming the first offending object:
 * a stock class the ledger is not configured with (by `default_id_prefix`, with the same initial
 * authorized shares), a certificate id (`custom_id`) not of its class, each class's numbers not 1..N
 * without gap or duplicate, a transaction naming a security or stakeholder the file does not have, one
 * that acts on a security already closed, shares not conserved, or a class over its authorized shares.
 * Transactions are replayed in the file's order (an export lists them in the log's), each event
 * with the certificates it issues taking the class's next numbers: they must be the ones the file says.
 */
export function planImport(contents: OcfContents, classes: readonly ShareClassConfig[]): ImportPlan {
  const { objects, manifest } = contents;
  const ids = new Set<string>();
  const unique = (object: ReadObject): void => {
    if (ids.has(`${object.object_type}:${object.id}`)) refuse(object, 'a second object of its type with this id');
    ids.add(`${object.object_type}:${object.id}`);
  };

  const classOf = new Map<string, ShareClassConfig>();
  for (const stockClass of objects.OCF_STOCK_CLASSES_FILE) {
    unique(stockClass);
    const prefix = String(stockClass.default_id_prefix);
    const configured = classes.find(({ code }) => `${code}-` === prefix);
    if (configured === undefined)
      refuse(
        stockClass,
        `default_id_prefix ${JSON.stringify(prefix)} is not one of this ledger's classes (${classes.map(({ code }) => `${code}-`).join(', ')}): configure the class in SHARE_CLASSES`,
      );
    if (shares(stockClass.initial_shares_authorized) !== configured.authorized)
      refuse(
        stockClass,
        `initial_shares_authorized ${JSON.stringify(stockClass.initial_shares_authorized)}, but SHARE_CLASSES authorizes ${configured.authorized} ${configured.code} shares: configure the same number`,
      );
    if ([...classOf.values()].includes(configured)) refuse(stockClass, `a second stock class with prefix ${prefix}`);
    classOf.set(stockClass.id, configured);
  }

  const stakeholders = new Map<string, string>();
  for (const stakeholder of objects.OCF_STAKEHOLDERS_FILE) {
    unique(stakeholder);
    let name: string;
    try {
      name = parseName((stakeholder.name as { legal_name: unknown }).legal_name);
    } catch (error) {
      refuse(stakeholder, (error as Error).message);
    }
    stakeholders.set(stakeholder.id, name);
  }

  const legends: LegendTemplate[] = [];
  for (const legend of objects.OCF_STOCK_LEGEND_TEMPLATES_FILE) {
    unique(legend);
    const { id, name, text } = legend;
    if (!isItemId(id)) refuse(legend, 'its id is not 1 to 64 letters, digits and ._:- as the ledger keeps legend ids');
    if (!isShortText(name)) refuse(legend, 'its name is not 1 to 200 characters of text');
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_LEGEND_TEXT)
      refuse(legend, `its text is not 1 to ${MAX_LEGEND_TEXT} characters`);
    legends.push({ id, name, text });
  }
  const legendIds = new Set(legends.map(({ id }) => id));

  // Every security the file issues, and each class's numbers 1..N.
  const securities = new Map<string, Security>();
  const numbers = new Map<string, Map<number, ReadObject>>();
  const transactions = objects.OCF_TRANSACTIONS_FILE;
  for (const tx of transactions) {
    unique(tx);
    if (!SUPPORTED.has(tx.object_type)) refuse(tx, `this ledger replays ${[...SUPPORTED].join(', ')} only`);
    if (tx.object_type !== 'TX_STOCK_ISSUANCE') continue;
    const security = securityOf(tx, classOf, stakeholders, legendIds);
    const issued = numbers.get(security.class) ?? new Map<number, ReadObject>();
    numbers.set(security.class, issued);
    const other = issued.get(security.number);
    if (other !== undefined) refuse(tx, `duplicate certificate number: ${other.id} issues ${security.id} too`);
    issued.set(security.number, tx);
    if (securities.has(String(tx.security_id))) refuse(tx, `security_id ${JSON.stringify(tx.security_id)} is issued twice`);
    securities.set(String(tx.security_id), security);
  }
  for (const [code, issued] of numbers) {
    for (let number = 1; number <= issued.size; number += 1) {
      if (!issued.has(number)) {
        const after = [...issued.keys()].filter((n) => n > number).sort((a, b) => a - b)[0]!;
        refuse(
          issued.get(after)!,
          `gap in class ${code}'s numbers: ${code}-${number} is missing (certificates are numbered 1..N without a gap)`,
        );
      }
    }
  }

  return {
    issuerName: manifest.issuer.legal_name,
    legends,
    steps: replaySteps(transactions, securities, classOf),
    certificates: securities.size,
  };
}

/** The certificate a TX_STOCK_ISSUANCE issues, or its refusal. */
function securityOf(
  tx: ReadObject,
  classOf: ReadonlyMap<string, ShareClassConfig>,
  stakeholders: ReadonlyMap<string, string>,
  legendIds: ReadonlySet<string>,
): Security {
  const shareClass = classOf.get(String(tx.stock_class_id));
  if (shareClass === undefined) refuse(tx, `stock_class_id ${JSON.stringify(tx.stock_class_id)} is not a stock class of the file`);
  const id = String(tx.custom_id);
  const parsed = parseCertificateId(id);
  if (parsed === undefined || parsed.class !== shareClass.code)
    refuse(tx, `custom_id ${JSON.stringify(id)} is not a certificate id of class ${shareClass.code} (${shareClass.code}-<number>)`);
  const amount = shares(tx.quantity);
  if (amount === undefined) refuse(tx, `quantity ${JSON.stringify(tx.quantity)} is not a whole number of shares`);
  const stakeholder = String(tx.stakeholder_id);
  const name = stakeholders.get(stakeholder);
  if (name === undefined) refuse(tx, `stakeholder_id ${JSON.stringify(stakeholder)} is not a stakeholder of the file`);
  const legends = tx.stock_legend_ids as string[];
  const unknownLegend = legends.find((legend) => !legendIds.has(legend));
  if (unknownLegend !== undefined) refuse(tx, `stock_legend_ids names ${JSON.stringify(unknownLegend)}, not a legend template of the file`);
  const exemptions = (tx.security_law_exemptions as Array<{ description: string }>).map(({ description }) => description);
  const price = tx.share_price as Money;
  const terms: Terms = {
    ...(stakeholder === stakeholderIdOf(name) ? {} : { holder: stakeholder }),
    ...(legends.length === 0 ? {} : { legends }),
    ...(tx.board_approval_date === undefined ? {} : { approvedOn: tx.board_approval_date as string }),
    ...(isZeroPrice(price) ? {} : { price: { amount: price.amount, currency: price.currency } }),
    ...(exemptions.length === 0 ? {} : { exemption: exemptions.join('; ') }),
  };
  const hasTerms = Object.keys(terms).length > 0;
  const problem = hasTerms ? termsProblem(terms) : undefined;
  if (problem !== undefined) refuse(tx, `the ledger cannot keep its terms: ${problem}`);
  return { tx, id, class: shareClass.code, number: parsed.number, name, stakeholder, amount, terms: hasTerms ? terms : undefined };
}

/** A class as the replay leaves it so far. */
interface ClassState {
  issued: number;
  outstanding: number;
  authorized: number;
}

/**
 * The steps of the replay in the file's order, simulated on the way as the ledger's rule will judge
 * them: each certificate the next of its class, an event's target issued and not closed, shares
 * conserved, every class within its authorized shares.
 */
function replaySteps(
  transactions: readonly ReadObject[],
  securities: ReadonlyMap<string, Security>,
  classOf: ReadonlyMap<string, ShareClassConfig>,
): ImportStep[] {
  const classes = new Map<string, ClassState>();
  for (const { code, authorized } of classOf.values()) classes.set(code, { issued: 0, outstanding: 0, authorized });
  // Securities some event issues: replayed with it, not alone.
  const resulting = new Set<string>();
  for (const tx of transactions) {
    for (const id of [...((tx.resulting_security_ids as string[] | undefined) ?? []), tx.balance_security_id as string | undefined])
      if (id !== undefined) resulting.add(id);
  }
  const issued = new Set<string>();
  const closed = new Set<string>();
  const steps: ImportStep[] = [];
  const known = (tx: ReadObject, id: unknown): Security => {
    const security = securities.get(String(id));
    if (security === undefined) refuse(tx, `security ${JSON.stringify(id)} is not issued by any TX_STOCK_ISSUANCE of the file`);
    return security;
  };
  /** Issues the securities as the class's next certificates, within its authorized shares. */
  const take = (tx: ReadObject, list: readonly Security[]): void => {
    for (const security of list) {
      const state = classes.get(security.class)!;
      if (issued.has(security.id)) refuse(tx, `security ${security.id} is issued twice`);
      if (security.number !== state.issued + 1)
        refuse(
          tx,
          `it issues ${security.id} where class ${security.class}'s next certificate is ${security.class}-${state.issued + 1}: the ledger numbers certificates in the order issued`,
        );
      if (security.amount > state.authorized - state.outstanding)
        refuse(
          tx,
          `over-authorized: ${security.id} (${security.amount} shares) exceeds class ${security.class}'s ${state.authorized - state.outstanding} remaining authorized shares`,
        );
      state.issued += 1;
      state.outstanding += security.amount;
      issued.add(security.id);
    }
  };
  for (const tx of transactions) {
    const base = { ref: tx.id, at: timeOf(tx.date as string) };
    if (!isItemId(tx.id)) refuse(tx, 'its id is not 1 to 64 letters, digits and ._:- as the ledger keeps event ids');
    const reason = (tx.reason_text as string | undefined) ?? (tx.comments as string[] | undefined)?.[0];
    if (reason !== undefined && !isShortText(reason)) refuse(tx, 'its reason is not 1 to 200 characters of text');
    const withReason = reason === undefined ? {} : { reason };
    if (tx.object_type === 'TX_STOCK_ISSUANCE') {
      const security = securities.get(String(tx.security_id))!;
      if (resulting.has(String(tx.security_id))) continue;
      take(tx, [security]);
      steps.push({
        kind: 'issue',
        tx: tx.id,
        id: security.id,
        request: {
          class: security.class,
          name: security.name,
          amount: security.amount,
          ...(security.terms === undefined ? {} : { terms: security.terms }),
          at: base.at,
        },
      });
      continue;
    }
    if (tx.object_type === 'TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT') {
      const shareClass = classOf.get(String(tx.stock_class_id));
      if (shareClass === undefined) refuse(tx, `stock_class_id ${JSON.stringify(tx.stock_class_id)} is not a stock class of the file`);
      const authorized = shares(tx.new_shares_authorized);
      if (authorized === undefined)
        refuse(tx, `new_shares_authorized ${JSON.stringify(tx.new_shares_authorized)} is not a whole number of shares`);
      const state = classes.get(shareClass.code)!;
      if (authorized < state.outstanding)
        refuse(
          tx,
          `over-authorized: class ${shareClass.code} has ${state.outstanding} shares outstanding, above the ${authorized} it would authorize`,
        );
      state.authorized = authorized;
      const approvedOn = (tx.board_approval_date as string | undefined) ?? (tx.date as string);
      steps.push({
        kind: 'event',
        tx: tx.id,
        results: [],
        request: { event: 'adjustment', class: shareClass.code, authorized, approvedOn, ...withReason, ...base },
      });
      continue;
    }
    const target = known(tx, tx.security_id);
    if (!issued.has(target.id)) refuse(tx, `it acts on ${target.id} before the file issues it`);
    if (closed.has(target.id)) refuse(tx, `${target.id} was cancelled, transferred, reissued or repurchased already`);
    const balance = tx.balance_security_id === undefined ? undefined : known(tx, tx.balance_security_id);
    const results = ((tx.resulting_security_ids as string[] | undefined) ?? []).map((id) => known(tx, id));
    const quantity = tx.quantity === undefined ? target.amount : shares(tx.quantity);
    if (quantity === undefined || quantity > target.amount)
      refuse(tx, `quantity ${JSON.stringify(tx.quantity)} is not a whole number of shares up to ${target.id}'s ${target.amount}`);
    const rest = target.amount - quantity;
    if ((balance?.amount ?? 0) !== rest)
      refuse(
        tx,
        `shares not conserved: ${target.id} holds ${target.amount}, ${quantity} leave it, and the balance security holds ${balance?.amount ?? 0}, not ${rest}`,
      );
    if (balance !== undefined && balance.stakeholder !== target.stakeholder)
      refuse(tx, `its balance ${balance.id} goes to another stakeholder than ${target.id}'s`);
    const issuedNow = [...results, ...(balance === undefined ? [] : [balance])];
    const common = { class: target.class, certificate: target.id, ...withReason, ...base };
    let request: Omit<EventRequest, 'principal' | 'requestId'>;
    switch (tx.object_type) {
      case 'TX_STOCK_CANCELLATION':
        request = { event: 'cancellation', quantity, ...common };
        break;
      case 'TX_STOCK_REPURCHASE': {
        const price = tx.price as Money;
        if (!isMoney(price)) refuse(tx, 'its price is not an amount of up to 12 digits and 10 decimals in an ISO 4217 currency');
        request = { event: 'repurchase', quantity, price: { amount: price.amount, currency: price.currency }, ...common };
        break;
      }
      case 'TX_STOCK_TRANSFER': {
        const moved = results.reduce((sum, { amount }) => sum + amount, 0);
        if (results.length === 0 || moved !== quantity)
          refuse(tx, `shares not conserved: it transfers ${quantity} shares, its resulting securities hold ${moved}`);
        const transferees: Transferee[] = results.map(({ name, amount, terms }) => ({
          name,
          amount,
          ...(terms === undefined ? {} : { terms }),
        }));
        request = { event: 'transfer', transferees, ...common };
        break;
      }
      default: {
        // TX_STOCK_REISSUANCE: one replacement with all the shares, to the same holder.
        const [replacement] = results;
        if (results.length !== 1 || replacement!.amount !== target.amount || replacement!.name !== target.name)
          refuse(tx, `a reissuance here replaces ${target.id} by one certificate of its ${target.amount} shares to the same holder`);
        // Terms that would be empty keep the holder's id: the replacement then has terms, never its predecessor's.
        const terms = replacement!.terms ?? { holder: replacement!.stakeholder };
        request = { event: 'reissuance', terms, ...common };
      }
    }
    // The target's shares leave first: what comes back on the results is judged against what that frees.
    classes.get(target.class)!.outstanding -= target.amount;
    take(tx, issuedNow);
    closed.add(target.id);
    steps.push({ kind: 'event', tx: tx.id, request, results: issuedNow.map(({ id }) => id) });
  }
  const missing = [...securities.values()].find(({ id }) => !issued.has(id));
  if (missing !== undefined)
    refuse(missing.tx, `${missing.id} is named as a resulting or balance security but no transaction of the file issues it`);
  return steps;
}
