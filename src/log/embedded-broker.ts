import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));

/**
 * Starts the project's local Apache Kafka (scripts/kafka/kafka.sh) on `port` (KAFKA_PORT) when no
 * KAFKA_BROKERS is given, so `npm start` works on a fresh machine. Resolves with the broker address
 * once it accepts a produce.
 */
export function startEmbeddedBroker(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(SCRIPT, ['start'], { env: { ...process.env, KAFKA_PORT: String(port) } }, (error) => {
      if (error) reject(new Error(`The embedded Kafka broker did not start: ${error.message}`));
      else resolve(`127.0.0.1:${port}`);
    });
    child.stderr?.pipe(process.stderr);
  });
}
