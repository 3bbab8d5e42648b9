import { existsSync, readFileSync } from 'node:fs';
import { runCommand } from './children.js';
import type { AuditResult } from './model.js';

export interface AuditTarget {
  readonly brokers: string;
  readonly topic: string;
  readonly shareClasses: string;
}

const CLI = 'src/audit/cli.ts';

function hasAuditScript(): boolean {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: Record<string, string> };
  return pkg.scripts?.audit !== undefined;
}

/**
 * Runs the audit tool on a topic through its contract: `npm run audit` reading KAFKA_BROKERS,
 * KAFKA_TOPIC and SHARE_CLASSES, exiting non-zero on any gap, duplicate or overdraft.
 */
export async function runAudit(target: AuditTarget): Promise<AuditResult> {
  if (!existsSync(CLI)) return { topic: target.topic, status: 'unavailable', tail: `${CLI} does not exist yet` };
  const [command, args] = hasAuditScript() ? ['npm', ['run', '--silent', 'audit']] : [process.execPath, ['--import', 'tsx', CLI]];
  const { code, output } = await runCommand(command, args, {
    KAFKA_BROKERS: target.brokers,
    KAFKA_TOPIC: target.topic,
    SHARE_CLASSES: target.shareClasses,
  });
  const tail = output.trim().split('\n').slice(-8).join('\n');
  return { topic: target.topic, status: code === 0 ? 'clean' : 'violations', exitCode: code, tail };
}
