/** How long, and how many, idempotency keys are remembered. */
export interface KeyWindow {
  /** A key is forgotten once its certificate is this old (by the certificate's `issuedAt`). */
  readonly windowMs: number;
  /** At most this many keys are remembered; beyond that the oldest is forgotten first. */
  readonly maxKeys: number;
}

/** Where the certificate a key was issued is, and when. */
export interface KeyedCertificate {
  readonly class: string;
  readonly number: number;
  readonly issuedAtMs: number;
}

/**
 * The idempotency keys of the newest certificates, oldest first. Which keys are remembered depends
 * only on the log (the order of its certificates and their `issuedAt`), never on the reader's clock
 * or on when it read, so every instance and the audit agree on what a writer knew when it numbered
 * a request. A key is remembered while its certificate is younger than the window, measured from the
 * time a request is numbered, and while fewer than `maxKeys` newer keys came after it.
 */
export class RememberedKeys {
  private readonly keys = new Map<string, KeyedCertificate>();

  constructor(private readonly window: KeyWindow) {}

  get size(): number {
    return this.keys.size;
  }

  /** Remembers the key of the log's next certificate, and forgets what that pushes out of the window. */
  remember(key: string, certificate: KeyedCertificate): void {
    // Deleted first so a key issued again (after it was forgotten) moves to the newest end.
    this.keys.delete(key);
    this.keys.set(key, certificate);
    const horizon = certificate.issuedAtMs - this.window.windowMs;
    for (const [oldest, entry] of this.keys) {
      if (this.keys.size <= this.window.maxKeys && entry.issuedAtMs > horizon) break;
      this.keys.delete(oldest);
    }
  }

  /** Every remembered key, oldest first: what a state snapshot stores. */
  entries(): Array<[string, KeyedCertificate]> {
    return [...this.keys];
  }

  /** Takes back what `entries()` gave, in its order, into an empty set of keys. */
  restore(entries: Iterable<readonly [string, KeyedCertificate]>): void {
    if (this.keys.size > 0) throw new Error('Expected to restore keys into an empty set');
    for (const [key, entry] of entries) this.keys.set(key, entry);
  }

  /** The certificate issued for `key`, if it is still remembered at `atMs`. */
  recall(key: string, atMs: number): KeyedCertificate | undefined {
    const entry = this.keys.get(key);
    return entry !== undefined && atMs - entry.issuedAtMs < this.window.windowMs ? entry : undefined;
  }
}
