import { runCommand } from './children.js';
import type { AuditResult } from './model.js';

export interface AuditTarget {
  readonly brokers: string;
  readonly topic: string;
  readonly shareClasses: string;
}

/**
 * Runs the audit tool on a topic through its contract: `npm run audit` reading KAFKA_BROKERS,
 * KAFKA_TOPIC and SHARE_CLASSES, exiting non-zero on any record that breaks the rule
 * other than a stale writer's void duplicate (src/core/validity.ts).
 */
export async function runAudit(target: AuditTarget): Promise<AuditResult> {
  const { code, output } = await runCommand('npm', ['run', '--silent', 'audit'], {
    KAFKA_BROKERS: target.brokers,
    KAFKA_TOPIC: target.topic,
    SHARE_CLASSES: target.shareClasses,
  });
  const tail = output.trim().split('\n').slice(-8).join('\n');
  return { topic: target.topic, status: code === 0 ? 'clean' : 'violations', exitCode: code, tail };
}
