export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How to reach a cluster that wants TLS, SASL or both (a managed one, usually). */
export interface KafkaSecurity {
  readonly tls?: {
    /** PEM certificates to trust instead of the system's. */
    readonly ca?: string;
    /** A client certificate and its key (PEM), for brokers that authenticate clients by certificate. */
    readonly cert?: string;
    readonly key?: string;
    readonly rejectUnauthorized: boolean;
  };
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

/**
 * What to say at every start when SASL runs without TLS, which the configuration allows only when
 * told to (KAFKA_SASL_ALLOW_PLAINTEXT=1): undefined otherwise.
 */
export function plaintextSaslWarning({ sasl, tls }: KafkaSecurity): string | undefined {
  if (sasl === undefined || tls !== undefined) return undefined;
  const exposed = sasl.mechanism === 'plain' ? 'the Kafka password and every record' : 'every record';
  return `SASL ${sasl.mechanism} WITHOUT TLS (KAFKA_SASL_ALLOW_PLAINTEXT=1): anyone on the network path can read and alter ${exposed}; set KAFKA_TLS=1 or KAFKA_TLS_CA_FILE`;
}
