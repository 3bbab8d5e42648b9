import type { ActorSnapshot } from './actors/share-class-actor.js';

/** Each part of the service by name (`log`, `class:CS`, …), true when it can serve. */
export type ReadinessChecks = Readonly<Record<string, boolean>>;

export interface LogConnection {
  readonly ready: boolean;
  connect(): Promise<void>;
}

export interface RecoverableClasses {
  snapshots(): ActorSnapshot[];
  recoverAll(): Promise<void>;
}

export function classChecks(snapshots: readonly ActorSnapshot[]): Record<string, boolean> {
  return Object.fromEntries(snapshots.map((snapshot) => [`class:${snapshot.class}`, snapshot.ready]));
}

/**
 * The readiness of the log producer and of every class actor. A probe that finds a part not ready
 * also asks it to come back in the background: an instance taken out of rotation gets no request
 * that would reconnect the producer or re-read the log, so without this it would never be ready again.
 */
export function serviceReadiness(log: LogConnection, classes: RecoverableClasses): () => ReadinessChecks {
  const ignore = (): void => undefined;
  return () => {
    const perClass = classChecks(classes.snapshots());
    if (!log.ready) log.connect().catch(ignore);
    if (Object.values(perClass).includes(false)) classes.recoverAll().catch(ignore);
    return { log: log.ready, ...perClass };
  };
}
