import { keysUrl } from '../audit/trusted-keys.js';

/** Where the issuer says a genuine paper's certificate stands (GET /certificates/{id}/verify). */
export interface OnlineStatus {
  /** The address asked. */
  readonly url: string;
  readonly status: 'outstanding' | 'cancelled' | 'stopped' | 'superseded';
  /** In words: "Genuine, and outstanding", "Genuine, but cancelled on …, replaced by …". */
  readonly verdict: string;
  /** A closed certificate's line, as its paper now prints it. */
  readonly note?: string;
}

const STATUS_FETCH_TIMEOUT_MS = 10_000;
/** The answer is a few hundred bytes; a long name and many results stay far below this. */
const MAX_ANSWER_BYTES = 64 * 1024;
const STATUSES = new Set(['outstanding', 'cancelled', 'stopped', 'superseded']);

/** The address where the issuer at `issuer` says where certificate `id`, whose paper has `digest`, stands. */
export function statusUrl(issuer: string, id: string, digest: string): string {
  return `${issuer.replace(/\/+$/, '')}/certificates/${encodeURIComponent(id)}/verify?digest=${digest}`;
}

/**
 * Asks the issuer (https, or http on this machine: whoever is on the path could otherwise answer
 * "outstanding") where the certificate stands now: what no signature on paper can say. One GET,
 * bounded in time and size; throws saying why when there is no answer to trust.
 */
export async function onlineStatus(issuer: string, id: string, digest: string): Promise<OnlineStatus> {
  const url = keysUrl(statusUrl(issuer, id, digest));
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(STATUS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`answered ${response.status}, expected 200`);
    }
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > MAX_ANSWER_BYTES) throw new Error(`answered ${length} bytes, expected at most ${MAX_ANSWER_BYTES}`);
    text = await response.text();
  } catch (error) {
    const cause = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new Error(`${url.href}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${STATUS_FETCH_TIMEOUT_MS} ms` : cause}`);
  }
  let answer: Record<string, unknown> | undefined;
  try {
    answer = text.length <= MAX_ANSWER_BYTES ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    answer = undefined;
  }
  if (answer?.matches === false) throw new Error(`${url.href}: the issuer says this paper does not match its log`);
  const { status, verdict, note } = answer ?? {};
  if (
    typeof status !== 'string' ||
    !STATUSES.has(status) ||
    typeof verdict !== 'string' ||
    (note !== undefined && typeof note !== 'string')
  )
    throw new Error(`${url.href}: the answer says no status`);
  return { url: url.href, status: status as OnlineStatus['status'], verdict, ...(note === undefined ? {} : { note }) };
}
