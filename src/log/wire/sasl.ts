import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { SaslMechanism } from '../kafka-security.js';

/**
 * One SASL exchange as the client sees it: the first message, then an answer to each challenge,
 * until `done`. PLAIN sends the credentials in one message; SCRAM (RFC 5802, as Kafka implements
 * it, RFC 7677 for SHA-256) proves the password without sending it and checks the server's proof.
 * Both Kafka clients of the service use it: this package's producer, and kafkajs through
 * `kafkajsSasl` (src/log/kafka-config.ts).
 */
export interface SaslExchange {
  readonly mechanism: string;
  first(): Buffer;
  /** The next message for the server's answer, or undefined once the exchange is complete. */
  next(answer: Buffer): Promise<Buffer | undefined>;
}

export function saslExchange(
  mechanism: SaslMechanism,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString('base64url'),
): SaslExchange {
  if (mechanism === 'plain') {
    return { mechanism: 'PLAIN', first: () => Buffer.from(`\0${username}\0${password}`), next: () => Promise.resolve(undefined) };
  }
  return scram(mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', mechanism.toUpperCase(), username, password, nonce);
}

/**
 * The iteration counts a Kafka broker can hold (its ScramMechanism: 4096 to 16384, refused outside
 * by kafka-configs). The count comes from the broker's first message, before it has proved
 * anything: a larger one is someone in the broker's place making this process spend seconds of
 * CPU per connection (10,000,000 iterations of SHA-512 take about 12 s here), a smaller one someone
 * making the proof cheap to guess the password from.
 */
export const SCRAM_ITERATIONS = { min: 4096, max: 16_384 } as const;

const derive = promisify(pbkdf2);

const saslName = (name: string): string => name.replaceAll('=', '=3D').replaceAll(',', '=2C');

function attributes(message: string): Map<string, string> {
  return new Map(message.split(',').map((part) => [part.slice(0, 1), part.slice(2)]));
}

function scram(hash: 'sha256' | 'sha512', mechanism: string, username: string, password: string, nonce: string): SaslExchange {
  const firstBare = `n=${saslName(username)},r=${nonce}`;
  let serverSignature: Buffer | undefined;
  const hmac = (key: Buffer, text: string): Buffer => createHmac(hash, key).update(text).digest();
  return {
    mechanism,
    first: () => Buffer.from(`n,,${firstBare}`),
    async next(answer) {
      const message = answer.toString('utf8');
      if (serverSignature !== undefined) {
        const verifier = attributes(message).get('v');
        const got = verifier === undefined ? Buffer.alloc(0) : Buffer.from(verifier, 'base64');
        if (got.length !== serverSignature.length || !timingSafeEqual(got, serverSignature)) {
          throw new Error(`${mechanism}: the broker's final message did not prove it knows the password (${message.slice(0, 80)})`);
        }
        return undefined;
      }
      const fields = attributes(message);
      const serverNonce = fields.get('r');
      const salt = fields.get('s');
      const iterations = Number(fields.get('i'));
      if (serverNonce === undefined || !serverNonce.startsWith(nonce) || salt === undefined || !Number.isInteger(iterations)) {
        throw new Error(
          `${mechanism}: expected the broker's first message to extend our nonce with a salt and iterations, got ${message.slice(0, 80)}`,
        );
      }
      if (iterations < SCRAM_ITERATIONS.min || iterations > SCRAM_ITERATIONS.max) {
        throw new Error(
          `${mechanism}: expected the broker to ask for ${SCRAM_ITERATIONS.min} to ${SCRAM_ITERATIONS.max} iterations (what Kafka can store), got ${iterations}`,
        );
      }
      // Off the event loop: even 16,384 iterations of SHA-512 hold a thread for tens of milliseconds.
      const salted = await derive(password, Buffer.from(salt, 'base64'), iterations, hash === 'sha256' ? 32 : 64, hash);
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash(hash).update(clientKey).digest();
      const finalWithoutProof = `c=biws,r=${serverNonce}`;
      const authMessage = `${firstBare},${message},${finalWithoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.alloc(clientKey.length);
      for (let index = 0; index < proof.length; index += 1) proof[index] = clientKey[index]! ^ signature[index]!;
      serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
      return Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`);
    },
  };
}
