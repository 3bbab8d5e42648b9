/** A command given wrongly: the CLI prints the message, then its usage, and exits 2. */
export class UsageError extends Error {}

/** Whether the error is the caller's: a UsageError, or arguments node:util's parseArgs refused. */
export function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
}
