import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the service logs (LOG_LEVEL, LOG_SAMPLE). */
export interface LoggingSettings {
  readonly level: LogLevel;
  /** Log 1 in this many requests answered below 500 (0: none); every 5xx is logged. */
  readonly sample: number;
}

/**
 * One JSON line per event on stdout. pino's default destination writes synchronously, so nothing
 * is lost on exit or kill; request lines are sampled (src/http/observe.ts), which keeps the cost
 * of those writes off the hot path. `npm run dev` pipes this through pino-pretty.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'stock-certificates' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
