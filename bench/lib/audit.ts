import { SIGNING_FILE } from '../../test/support/signing.js';
import { runCommand } from './children.js';
import type { AuditResult } from './model.js';

export interface AuditTarget {
  readonly brokers: string;
  readonly topic: string;
  readonly shareClasses: string;
}

/**
 * Runs the audit tool on a topic through its contract: `npm run audit` reading KAFKA_BROKERS,
 * KAFKA_TOPIC and SHARE_CLASSES, trusting the public half of the key the bench's services sign
 * with (SIGNING_KEY_FILE), exiting non-zero on any record that breaks the rule other than a stale
 * writer's void duplicate (src/core/validity.ts). Its report says how many writes a trusted key
 * signed ("signed log: N signed writes …", or "unsigned log …").
 */
export async function runAudit(target: AuditTarget): Promise<AuditResult> {
  const { code, output } = await runCommand('npm', ['run', '--silent', 'audit'], {
    KAFKA_BROKERS: target.brokers,
    KAFKA_TOPIC: target.topic,
    SHARE_CLASSES: target.shareClasses,
    SIGNING_KEY_FILE: SIGNING_FILE,
  });
  const tail = output.trim().split('\n').slice(-8).join('\n');
  const signed = /^signed log: (\d+) signed writes?/m.exec(output);
  const signedWrites = signed !== null ? Number(signed[1]) : /^unsigned log/m.test(output) ? 0 : undefined;
  return {
    topic: target.topic,
    status: code === 0 ? 'clean' : 'violations',
    exitCode: code,
    ...(signedWrites === undefined ? {} : { signedWrites }),
    tail,
  };
}

/**
 * Why an audit of a service's topic fails the run, or undefined: violations, or a log signed when
 * the service was started unsigned or unsigned when it was started to sign.
 */
export function auditFailure(audit: AuditResult, signed: boolean): string | undefined {
  if (audit.status !== 'clean') return `audit of ${audit.topic}: ${audit.status}\n${audit.tail}`;
  if ((audit.signedWrites ?? 0) > 0 === signed) return undefined;
  const found = audit.signedWrites === undefined ? 'no word on signing' : `${audit.signedWrites} signed writes`;
  return `audit of ${audit.topic}: the service was started ${signed ? 'to sign' : 'unsigned'}, the audit found ${found}\n${audit.tail}`;
}
