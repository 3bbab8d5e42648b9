import { AUTHORIZATION } from './credentials.js';

/** A client's view of one POST: status, headers and parsed JSON body. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs as the test admin (test/support/credentials.ts) unless `headers` say otherwise. */
export async function post(
  url: string,
  body: unknown,
  contentType = 'application/json',
  signal?: AbortSignal,
  headers: Readonly<Record<string, string>> = {},
): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...AUTHORIZATION, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function issue(baseUrl: string, shareClass: string, amount = 10, name = 'Salt Bae', signal?: AbortSignal): Promise<Reply> {
  return post(`${baseUrl}/`, { name, amount, class: shareClass }, 'application/json', signal);
}

/** Runs `count` tasks with at most `concurrency` in flight, like that many clients in a loop. */
export async function concurrently<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** POST / with an `Idempotency-Key`. */
export function issueWithKey(baseUrl: string, key: string, body: { class: string; amount: number; name: string }): Promise<Reply> {
  return post(`${baseUrl}/`, body, 'application/json', undefined, { 'idempotency-key': key });
}
