import { randomUUID } from 'node:crypto';
import type { CertificateRecord } from '../../src/core/certificate.js';
import type { Acknowledged } from '../../src/audit/check.js';
import { issueCertificate, IssueError } from '../../src/client/issue-certificate.js';
import { ADMIN } from './credentials.js';
import { sleep } from './load.js';

/** One keyed request as its client ended it: the certificate it was given, or the error it gave up with. */
export interface KeyedOutcome {
  readonly key: string;
  readonly request: { readonly name: string; readonly amount: number; readonly class: string };
  readonly attempts: number;
  readonly id?: string;
  readonly replayed?: boolean;
  readonly error?: string;
  /** A second call with the key after the first got its certificate: the id it was given, or its error. */
  readonly again?: string;
}

/**
 * Clients that issue through the typed client, each request under a key of its own, retrying across
 * every instance through the faults a test makes; about one in five asks again with the key after its
 * answer, as a client unsure it had stored it would. The test then holds the log to exactly one
 * certificate per key.
 */
export class KeyedLoad {
  readonly outcomes: KeyedOutcome[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;

  constructor(
    private readonly urls: () => string[],
    private readonly concurrency: number,
    private readonly classes: readonly string[],
    private readonly thinkMs = 100,
  ) {}

  start(): this {
    this.running = true;
    this.workers = Array.from({ length: this.concurrency }, (_, client) => this.client(client));
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** The certificates the clients were given, for the audit's acknowledged check. */
  get acknowledged(): Acknowledged[] {
    return this.outcomes.flatMap(({ id, request }) => (id === undefined ? [] : [{ id, name: request.name, amount: request.amount }]));
  }

  /** For the test's report: how many requests, how many retried, how many a replay answered. */
  summary(): string {
    const count = (test: (outcome: KeyedOutcome) => boolean): number => this.outcomes.filter(test).length;
    return (
      `${this.outcomes.length} keyed requests (${count((outcome) => outcome.attempts > 1)} retried, ` +
      `${count((outcome) => outcome.replayed === true)} answered by the replay of an earlier attempt that had landed, ` +
      `${count((outcome) => outcome.again !== undefined)} asked again after their answer)`
    );
  }

  /**
   * Where the log and the clients disagree: a key with more than one certificate, a client given
   * another certificate than the key's, or a second call answered with anything but the first one.
   */
  mismatches(certificates: readonly CertificateRecord[]): string[] {
    const byKey = new Map<string, CertificateRecord[]>();
    for (const record of certificates) {
      if (record.idempotencyKey !== undefined) byKey.set(record.idempotencyKey, [...(byKey.get(record.idempotencyKey) ?? []), record]);
    }
    const problems: string[] = [];
    for (const [key, records] of byKey) {
      if (records.length > 1)
        problems.push(`key ${key} has ${records.length} certificates: ${records.map((record) => record.id).join(', ')}`);
    }
    for (const { key, id, again, error } of this.outcomes) {
      const logged = byKey.get(key)?.[0]?.id;
      if (id !== undefined && logged !== id) problems.push(`key ${key}: client was given ${id}, the log has ${logged ?? 'none'}`);
      if (again !== undefined && again !== id) problems.push(`key ${key}: asked again, got ${again} instead of ${id}`);
      if (id === undefined && logged !== undefined) problems.push(`key ${key}: client gave up (${error}) though ${logged} is in the log`);
    }
    return problems;
  }

  private async client(client: number): Promise<void> {
    while (this.running) {
      const index = this.sent++;
      const key = randomUUID();
      const request = { name: `Keyed ${index} Zoë 株主`, amount: 1 + (index % 50), class: this.classes[index % this.classes.length]! };
      const options = {
        // Each client starts on another instance and moves on to the next with every retry.
        baseUrl: this.urls().map((_, slot, all) => all[(slot + client) % all.length]!),
        idempotencyKey: key,
        credentials: ADMIN.key,
        maxAttempts: 60,
        baseDelayMs: 50,
        maxDelayMs: 1000,
        attemptTimeoutMs: 10_000,
      };
      try {
        const { certificate, attempts, replayed } = await issueCertificate(request, options);
        let again: string | undefined;
        if (index % 5 === 0) {
          const second = await issueCertificate(request, options).catch((error: unknown) => error as IssueError);
          again =
            second instanceof IssueError
              ? `${second.code}`
              : second.replayed
                ? second.certificate.id
                : `${second.certificate.id} (not replayed)`;
        }
        this.outcomes.push({ key, request, attempts, id: certificate.id, replayed, ...(again === undefined ? {} : { again }) });
      } catch (error) {
        const { code, attempts } = error as IssueError;
        this.outcomes.push({ key, request, attempts: attempts ?? 0, error: code ?? String(error) });
      }
      await sleep(this.thinkMs);
    }
  }
}
