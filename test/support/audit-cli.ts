import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { broker } from './broker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

export interface AuditRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run audit` (src/audit/cli.ts) as its own process on the suite's broker, with `env` over
 * the test's environment less any SIGNING_KEY_FILE (the audit trusts only the keys a test names);
 * resolves with its exit code and output.
 */
export async function runAudit(env: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<AuditRun> {
  const inherited = { ...process.env };
  delete inherited.SIGNING_KEY_FILE;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...inherited, KAFKA_BROKERS: broker().brokers.join(','), ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
