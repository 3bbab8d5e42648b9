import { randomUUID } from 'node:crypto';
import type { Acknowledged } from '../../src/audit/check.js';
import { readKeyFile } from '../../src/auth/key-file.js';
import type { Role } from '../../src/core/principal.js';
import { ADMIN, keysWithRoles } from './credentials.js';
import { sleep } from './load.js';

/** Who sends what: each event with the one role it needs (docs/security.md), issuances apart. */
export type Clerk = 'issuer' | 'transfers' | 'cancels';
const ROLES: Readonly<Record<Clerk, readonly Role[]>> = {
  issuer: ['certificates:issue'],
  transfers: ['certificates:transfer'],
  cancels: ['certificates:cancel'],
};

/** A keys file with the test admin's key (so the suite's helpers still read /readyz) and one key per clerk. */
export function clerkKeys(): { readonly file: string; readonly keys: Readonly<Record<Clerk, string>> } {
  return keysWithRoles(ROLES, readKeyFile(ADMIN.file).keys);
}

export type OpKind = 'issuance' | 'transfer' | 'cancellation' | 'repurchase' | 'reissuance' | 'stop';
const CLERK_OF: Readonly<Record<OpKind, Clerk>> = {
  issuance: 'issuer',
  reissuance: 'issuer',
  transfer: 'transfers',
  cancellation: 'cancels',
  repurchase: 'cancels',
  stop: 'cancels',
};

/** A certificate as the answers showed it. */
interface Answered {
  readonly id: string;
  readonly name: string;
  readonly amount: number;
}

/** The 201 body of an event. */
export interface EventAnswer {
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly offset: number;
    readonly certificate?: string;
    readonly quantity?: number;
  };
  readonly results: readonly Answered[];
}

/** How one send of a request ended: 201, or a final refusal's status and code; or no final answer (the outcome is unknown). */
export interface Final {
  status?: number;
  code?: string;
  answer?: Record<string, unknown>;
  replayed?: boolean;
  gaveUp?: string;
}

/** One request as its client ended it, after every retry under its key. */
export interface Op extends Final {
  readonly kind: OpKind;
  readonly key: string;
  readonly clerk: Clerk;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly target?: string;
  /** Requests sent at the same certificate at once by two clients share a race number. */
  readonly race?: number;
  /** What the client expected of it: a certificate it believed closed is expected to be refused. */
  readonly aimedAtClosed?: boolean;
  /** Attempts of the copy that needed more. */
  attempts: number;
  /** From the first send to the final answer, or to giving up. */
  ms?: number;
  /** The same key sent a second time at once (an impatient client): what that copy was answered. */
  twin?: Final;
  /** Sent again with its key after its 201: whether the answer was the same, replayed. */
  again?: string;
}

/** Final answers: nothing was done, the same request never succeeds; anything else (503, 5xx, 408, 429, no answer) is retried under the key. */
const retryable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

interface Believed {
  readonly name: string;
  readonly amount: number;
  status: 'outstanding' | 'stopped' | 'closed';
}

/**
 * Clients issuing and acting on the certificates they learned of, on one class, across every
 * instance, until `stop()`: transfers, partial cancellations, repurchases, stops and reissuances,
 * some aimed at once by two clients at one certificate (only one may win), some at certificates
 * already closed, some sent twice at once under one key, some asked again after their answer.
 * Every request has an Idempotency-Key and is retried under it on the next instance after a 503, a
 * timeout or a dropped connection, as docs/api.md tells clients to.
 */
export class EventLoad {
  readonly ops: Op[] = [];
  private readonly known = new Map<string, Believed>();
  private readonly outstanding: string[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;
  private races = 0;
  /** 201s so far, for a test waiting for writes to resume. */
  acknowledgedCount = 0;

  constructor(
    private readonly urls: () => readonly string[],
    private readonly keys: Readonly<Record<Clerk, string>>,
    private readonly options: {
      readonly clients: number;
      readonly shareClass: string;
      readonly attemptTimeoutMs: number;
      readonly maxAttempts: number;
    },
  ) {}

  start(): this {
    this.running = true;
    this.workers = Array.from({ length: this.options.clients }, (_, client) => this.client(client));
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Every certificate a 201 showed (issuances, events' results, replays too), for the audit's acknowledged check. */
  get acknowledged(): Acknowledged[] {
    return this.ops.flatMap((op) => (op.status === 201 ? certificatesOf(op.kind, op.answer!) : []));
  }

  private async client(client: number): Promise<void> {
    while (this.running) {
      const roll = Math.random();
      if (roll < 0.35 || this.outstanding.length < 20) await this.run(this.issuance(), client);
      else if (roll < 0.45) await this.race(client);
      else if (roll < 0.48) await this.atClosed(client);
      else {
        const target = this.pickOutstanding();
        if (target !== undefined) await this.run(this.event(this.randomKind(target), target), client);
      }
      await sleep(20);
    }
  }

  private randomKind(target: string): OpKind {
    if (this.known.get(target)!.status === 'stopped') return 'reissuance';
    const roll = Math.random();
    return roll < 0.4 ? 'transfer' : roll < 0.65 ? 'cancellation' : roll < 0.8 ? 'repurchase' : roll < 0.92 ? 'reissuance' : 'stop';
  }

  /** Two clients at one certificate at once, through two instances, with two different events. */
  private async race(client: number): Promise<void> {
    const target = this.pickOutstanding();
    if (target === undefined) return;
    const race = ++this.races;
    const first = this.randomKind(target);
    const kinds: OpKind[] = ['transfer', 'cancellation', 'repurchase', 'reissuance', 'stop'];
    const second = kinds.filter((kind) => kind !== first)[Math.floor(Math.random() * (kinds.length - 1))]!;
    await Promise.all([this.run(this.event(first, target, race), client), this.run(this.event(second, target, race), client + 1)]);
  }

  /** A certificate the client saw closed: it must be refused, certificate_not_outstanding. */
  private async atClosed(client: number): Promise<void> {
    const closed = [...this.known].filter(([, believed]) => believed.status === 'closed');
    if (closed.length === 0) return;
    const [target] = closed[Math.floor(Math.random() * closed.length)]!;
    const kinds: OpKind[] = ['transfer', 'cancellation', 'repurchase', 'reissuance', 'stop'];
    await this.run(this.event(kinds[Math.floor(Math.random() * kinds.length)]!, target, undefined, true), client);
  }

  private pickOutstanding(): string | undefined {
    while (this.outstanding.length > 0) {
      const index = Math.floor(Math.random() * this.outstanding.length);
      const id = this.outstanding[index]!;
      if (this.known.get(id)!.status !== 'closed') return id;
      this.outstanding[index] = this.outstanding[this.outstanding.length - 1]!;
      this.outstanding.pop();
    }
    return undefined;
  }

  private issuance(): Op {
    const index = this.sent++;
    return this.op('issuance', '/certificates', {
      name: `Holder ${index} Zoë 株主`,
      amount: 1 + Math.floor(Math.random() * 200),
      class: this.options.shareClass,
    });
  }

  private event(kind: OpKind, target: string, race?: number, aimedAtClosed = false): Op {
    const { amount } = this.known.get(target)!;
    const index = this.sent++;
    const part = (): number => 1 + Math.floor(Math.random() * amount);
    const bodies: Record<OpKind, () => Record<string, unknown>> = {
      issuance: () => ({}),
      transfer: () => {
        const moved = part();
        const split = moved > 1 && Math.random() < 0.3 ? 1 + Math.floor(Math.random() * (moved - 1)) : moved;
        const transferees = [{ name: `Buyer ${index} Zoë`, amount: split }];
        if (split < moved) transferees.push({ name: `Buyer ${index}b Zoë`, amount: moved - split });
        return { transferees, reason: 'sale' };
      },
      cancellation: () => ({ quantity: part(), reason: 'error at issuance' }),
      repurchase: () => ({ quantity: part(), price: { amount: '1.25', currency: 'USD' } }),
      reissuance: () => ({ reason: 'replacement' }),
      stop: () => ({ reason: 'reported lost' }),
    };
    return this.op(kind, `/certificates/${target}/${kind}`, bodies[kind](), target, race, aimedAtClosed);
  }

  private op(kind: OpKind, path: string, body: Record<string, unknown>, target?: string, race?: number, aimedAtClosed?: boolean): Op {
    return {
      kind,
      key: randomUUID(),
      clerk: CLERK_OF[kind],
      path,
      body,
      attempts: 0,
      ...(target === undefined ? {} : { target }),
      ...(race === undefined ? {} : { race }),
      ...(aimedAtClosed ? { aimedAtClosed } : {}),
    };
  }

  /** Sends the op until it has a final answer or the attempts run out; one in twenty goes twice at once, one in ten again after its 201. */
  private async run(op: Op, client: number): Promise<void> {
    this.ops.push(op);
    const startedAt = Date.now();
    const twin = Math.random() < 0.05;
    // The twin goes to the same instance as the first copy, or to the next one.
    const [outcome, twinOutcome] = await Promise.all([
      this.send(op, client),
      twin ? this.send(op, Math.random() < 0.5 ? client : client + 1) : undefined,
    ]);
    Object.assign(op, outcome.final);
    op.attempts = Math.max(outcome.attempts, twinOutcome?.attempts ?? 0);
    op.ms = Date.now() - startedAt;
    if (twinOutcome !== undefined) op.twin = twinOutcome.final;
    this.learn(op);
    if (op.status === 201 && Math.random() < 0.1) {
      const again = await this.send(op, client + 2);
      op.again =
        again.final.status === 201 && again.final.replayed === true && JSON.stringify(again.final.answer) === JSON.stringify(op.answer)
          ? 'same'
          : JSON.stringify(again.final).slice(0, 300);
    }
  }

  private async send(op: Op, client: number): Promise<{ attempts: number; final: Final }> {
    let delay = 100;
    let last = '';
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      const urls = this.urls();
      const url = urls[(client + attempt) % urls.length]!;
      try {
        const response = await fetch(`${url}${op.path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': op.key,
            authorization: `Bearer ${this.keys[op.clerk]}`,
          },
          body: JSON.stringify(op.body),
          signal: AbortSignal.timeout(this.options.attemptTimeoutMs),
        });
        const answer = (await response.json()) as Record<string, unknown>;
        if (!retryable(response.status)) {
          if (response.status === 201) this.acknowledgedCount += 1;
          const code = (answer.error as { code?: string } | undefined)?.code;
          return {
            attempts: attempt,
            final: {
              status: response.status,
              ...(code === undefined ? { answer } : { code }),
              replayed: response.headers.get('idempotent-replayed') === 'true',
            },
          };
        }
        last = `${response.status} ${(answer.error as { code?: string } | undefined)?.code}`;
      } catch (error) {
        last = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      }
      await sleep(Math.random() * delay);
      delay = Math.min(1000, delay * 2);
    }
    return { attempts: this.options.maxAttempts, final: { gaveUp: last } };
  }

  /** What the answer taught the client about the certificates. */
  private learn(op: Op): void {
    const answers = [op, ...(op.twin === undefined ? [] : [op.twin])];
    for (const { status, code, answer } of answers) {
      if (status === 201) {
        for (const certificate of certificatesOf(op.kind, answer!)) {
          if (!this.known.has(certificate.id)) {
            this.known.set(certificate.id, { name: certificate.name!, amount: certificate.amount!, status: 'outstanding' });
            this.outstanding.push(certificate.id);
          }
        }
        if (op.target !== undefined) this.known.get(op.target)!.status = op.kind === 'stop' ? 'stopped' : 'closed';
      } else if (op.target !== undefined && code === 'certificate_not_outstanding') this.known.get(op.target)!.status = 'closed';
      else if (op.target !== undefined && code === 'certificate_stopped') this.known.get(op.target)!.status = 'stopped';
    }
  }
}

/** The certificates a 201 shows: an issuance's own, or an event's results. */
export function certificatesOf(kind: OpKind, answer: Record<string, unknown>): Acknowledged[] {
  const shown = kind === 'issuance' ? [answer as unknown as Answered] : (answer as unknown as EventAnswer).results;
  return shown.map(({ id, name, amount }) => ({ id, name, amount }));
}
