import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SaslMechanism } from '../kafka-config.js';

/**
 * One SASL exchange as the client sees it: the first message, then an answer to each challenge,
 * until `done`. PLAIN sends the credentials in one message; SCRAM (RFC 5802, as Kafka implements
 * it, RFC 7677 for SHA-256) proves the password without sending it and checks the server's proof.
 */
export interface SaslExchange {
  readonly mechanism: string;
  first(): Buffer;
  /** The next message for the server's answer, or undefined once the exchange is complete. */
  next(answer: Buffer): Buffer | undefined;
}

export function saslExchange(
  mechanism: SaslMechanism,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString('base64url'),
): SaslExchange {
  if (mechanism === 'plain') {
    return { mechanism: 'PLAIN', first: () => Buffer.from(`\0${username}\0${password}`), next: () => undefined };
  }
  return scram(mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', mechanism.toUpperCase(), username, password, nonce);
}

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
    next(answer) {
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
      if (
        serverNonce === undefined ||
        !serverNonce.startsWith(nonce) ||
        salt === undefined ||
        !Number.isInteger(iterations) ||
        iterations < 1
      ) {
        throw new Error(
          `${mechanism}: expected the broker's first message to extend our nonce with a salt and iterations, got ${message.slice(0, 80)}`,
        );
      }
      const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, hash === 'sha256' ? 32 : 64, hash);
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
