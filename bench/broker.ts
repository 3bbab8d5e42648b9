import { runCommand } from './children.js';

/**
 * Starts the bench's own local broker via scripts/kafka/kafka.sh (a no-op when it already runs)
 * on a port no other broker here uses, so the bench neither disturbs nor is disturbed by tests.
 */
export async function ensureBroker(port: number): Promise<string> {
  const { code, output } = await runCommand('scripts/kafka/kafka.sh', ['start'], { KAFKA_PORT: String(port) });
  if (code !== 0) throw new Error(`The bench broker on port ${port} did not start:\n${output}`);
  return `127.0.0.1:${port}`;
}
