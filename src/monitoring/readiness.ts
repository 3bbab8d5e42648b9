import type { ActorSnapshot } from '../actors/share-class-actor.js';
import type { NodeStatus } from '../cluster/node.js';

/** Each part of the service by name (`log`, `writer`, `class:CS`, …), true when it can serve. */
export type ReadinessChecks = Readonly<Record<string, boolean>>;

/** What `/readyz` answers: the checks, and facts an operator reads beside them (role, lag, …). */
export interface Readiness {
  readonly checks: ReadinessChecks;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface LogConnection {
  readonly ready: boolean;
  /** Where the topic's settings let certificates be lost or fall short of the configured ones (src/log/topic.ts). */
  readonly topicWarnings: readonly string[];
  connect(): Promise<void>;
}

export interface NodeView {
  status(): NodeStatus;
  snapshots(): ActorSnapshot[];
}

export function classChecks(snapshots: readonly ActorSnapshot[]): Record<string, boolean> {
  return Object.fromEntries(snapshots.map((snapshot) => [`class:${snapshot.class}`, snapshot.ready]));
}

/**
 * Ready when the log producer is connected, a writer is known (this instance or one to forward
 * to), and every class has been read from the log. A probe that finds the producer down also asks
 * it to reconnect in the background: an instance taken out of rotation gets no request that would.
 * A topic weaker than configured does not make the instance unready (its settings are the
 * operator's to change, and refusing service would not change them), but every probe says so.
 */
export function serviceReadiness(log: LogConnection, node: NodeView, renumbered: () => number): () => Readiness {
  const ignore = (): void => undefined;
  return () => {
    if (!log.ready) log.connect().catch(ignore);
    const status = node.status();
    const writerKnown = status.role === 'writer' || (status.role === 'follower' && status.writerUrl !== undefined);
    return {
      checks: { log: log.ready, writer: writerKnown, ...classChecks(node.snapshots()) },
      details: { ...status, renumbered: renumbered(), topicWarnings: log.topicWarnings },
    };
  };
}
