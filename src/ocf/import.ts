import type { Sequencers } from '../actors/sequencers.js';
import { CertificateError, isCertificateError } from '../core/errors.js';
import type { LogState } from '../core/log-state.js';
import type { ImportPlan, ImportStep } from './import-plan.js';

/** Issuances sent to the actors at once: one batch of a class (ACTOR_LIMITS.maxBatch) at most. */
const ISSUES_AT_ONCE = 500;

/** Who the import's records name as having asked, and the prefix of their request ids. */
export interface ImportIdentity {
  readonly principal: string;
  readonly requestPrefix: string;
}

/** What an import wrote. */
export interface Imported {
  readonly certificates: number;
  readonly events: number;
}

/** A refusal or failure of the replay, naming the transaction it happened on. */
function at(tx: string, error: unknown): CertificateError {
  if (isCertificateError(error))
    return new CertificateError(error.code, `${tx}: ${error.message}`, { cause: error, details: error.details });
  return new CertificateError('internal', `${tx}: ${String(error)}`, { cause: error });
}

/** Refuses a ledger that holds any certificate or event: an import numbers its certificates from 1. */
export function requireEmpty(state: LogState, classes: readonly string[]): void {
  const held = classes.find((code) => (state.index(code)?.count ?? 0) > 0);
  if (held !== undefined || state.allEvents().length > 0) {
    throw new CertificateError(
      'ledger_not_empty',
      `The ledger is not empty (${held === undefined ? `${state.allEvents().length} events` : `class ${held} has ${state.index(held)!.count} certificates`}): an OCF import goes into an empty ledger (a new KAFKA_TOPIC) only`,
    );
  }
}

/**
 * Replays the plan through the service's own path: the actors number each request after what the
 * log holds and the writer writes it, signed and judged by the rule, as any issuance or event. The
 * ledger is empty and the file's issuances come in number order, so each certificate takes the
 * number the file gives it; that is checked after every write, and the first that differs stops the
 * import. A run of one class's issuances goes together (its actor batches them, in order); the next
 * run, and an event, wait for everything before: the log then holds them in the file's order, and a
 * certificate an event acts on is in the log when the event is numbered.
 */
export async function replay(plan: ImportPlan, sequencers: Sequencers, state: LogState, identity: ImportIdentity): Promise<Imported> {
  requireEmpty(state, sequencers.classes);
  let sent = 0;
  const asked = () => ({ principal: identity.principal, requestId: `${identity.requestPrefix}-${(sent += 1)}` });
  const legendClass = sequencers.classes[0]!;
  for (const legend of plan.legends) {
    await sequencers.act({ event: 'legend', class: legendClass, legend, ...asked() }).catch((error: unknown) => {
      throw at(`STOCK_LEGEND_TEMPLATE ${legend.id}`, error);
    });
  }
  let certificates = 0;
  let events = plan.legends.length;
  const check = (tx: string, got: readonly string[], expected: readonly string[]): void => {
    if (got.join() !== expected.join())
      throw new CertificateError(
        'invalid_import',
        `${tx}: the ledger issued ${got.join(', ') || 'nothing'} where the file has ${expected.join(', ') || 'nothing'}`,
      );
    certificates += got.length;
  };
  const steps = plan.steps;
  for (let index = 0; index < steps.length;) {
    const step = steps[index]!;
    if (step.kind === 'event') {
      const done = await sequencers.act({ ...step.request, ...asked() }).catch((error: unknown) => {
        throw at(step.tx, error);
      });
      check(
        step.tx,
        done.results.map(({ id }) => id),
        step.results,
      );
      events += 1;
      index += 1;
      continue;
    }
    const run: Array<ImportStep & { kind: 'issue' }> = [];
    // One class at a time: two actors' writes may land in either order, and an export lists the log's.
    const sameClass = (next: ImportStep): boolean => next.kind === 'issue' && next.request.class === step.request.class;
    while (index < steps.length && sameClass(steps[index]!) && run.length < ISSUES_AT_ONCE)
      run.push(steps[index++] as ImportStep & { kind: 'issue' });
    const answers = await Promise.allSettled(run.map((issue) => sequencers.issue({ ...issue.request, ...asked() })));
    answers.forEach((answer, position) => {
      const issue = run[position]!;
      if (answer.status === 'rejected') throw at(issue.tx, answer.reason);
      check(issue.tx, [answer.value.certificate.id], [issue.id]);
    });
  }
  return { certificates, events };
}
