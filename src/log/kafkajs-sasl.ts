import kafkajs, { type Mechanism } from 'kafkajs';

// kafkajs builds its error exports by spreading an object, which Node's CommonJS import cannot name.
const { KafkaJSNonRetriableError } = kafkajs;
import type { KafkaSecurity } from './kafka-security.js';
import { saslExchange } from './wire/sasl.js';

/** kafkajs hands a mechanism's messages to the broker, and back, as Kafka BYTES: a 32-bit size, then the bytes. */
const sized = (message: Buffer) => ({
  encode: () => {
    const framed = Buffer.allocUnsafe(4 + message.length);
    framed.writeInt32BE(message.length, 0);
    message.copy(framed, 4);
    return framed;
  },
});
const unsized = {
  decode: (framed: Buffer) => framed.subarray(4, 4 + Math.max(0, framed.readInt32BE(0))),
  parse: (message: Buffer) => message,
};

/**
 * kafkajs's SASL, done by the service's own exchange (src/log/wire/sasl.ts) through the provider
 * hook kafkajs 2 offers, so both Kafka clients authenticate alike. kafkajs's own SCRAM takes any
 * iteration count a broker asks for, and has no setting for it; this one refuses counts Kafka
 * cannot store. A provider is chosen over patching node_modules: it survives `npm ci` and upgrades
 * without a postinstall step, and leaves one SCRAM in the project instead of two to keep alike.
 */
export function kafkajsSasl({ mechanism, username, password }: NonNullable<KafkaSecurity['sasl']>): Mechanism {
  return {
    mechanism: mechanism.toUpperCase(),
    authenticationProvider: ({ host, port, saslAuthenticate }) => ({
      async authenticate() {
        const exchange = saslExchange(mechanism, username, password);
        try {
          let message: Buffer | undefined = exchange.first();
          while (message !== undefined) {
            const answer = await saslAuthenticate({ request: sized(message), response: unsized });
            message = await exchange.next(answer ?? Buffer.alloc(0));
          }
        } catch (error) {
          // Not retried: a wrong password or a broker asking the impossible does not heal.
          throw new KafkaJSNonRetriableError(`SASL ${exchange.mechanism} with ${host}:${port} failed: ${(error as Error).message}`);
        }
      },
    }),
  };
}
