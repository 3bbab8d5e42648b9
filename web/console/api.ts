/**
 * The console's one way to the service: same-origin fetch with the session cookie, the session's
 * CSRF token on unsafe methods, and the API's own error (code and message) surfaced as is.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** Whether the request may have done its work although no answer said so (docs/api.md, "unknown"). */
  get outcomeUnknown(): boolean {
    return this.status === 0 || this.code === 'log_unavailable' || this.code === 'writer_unreachable' || this.code === 'internal';
  }
}

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code ?? 'http_' + response.status, body.error?.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, 'http_' + response.status, response.statusText);
  }
}

export async function request(path: string, init: RequestInit & { idempotencyKey?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  if (init.method !== undefined && init.method !== 'GET') headers.set('X-CSRF-Token', csrf);
  if (init.idempotencyKey !== undefined) headers.set('Idempotency-Key', init.idempotencyKey);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError(0, 'network', `No answer from the service (${(error as Error).message}); it may or may not have acted`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

const early = new Map<string, Promise<unknown>>();

/** Starts a GET before the page asks for it (the first page's data beside the session), so they share one round trip. */
export function prefetch(path: string): void {
  const pending = request(path).then((response) => response.json());
  pending.catch(() => undefined);
  early.set(path, pending);
}

export async function getJson<T>(path: string): Promise<T> {
  const pending = early.get(path);
  if (pending !== undefined) {
    early.delete(path);
    return (await pending) as T;
  }
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
  const response = await request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
  return (await response.json()) as T;
}

export interface Session {
  principal: { id: string; name: string };
  roles: string[];
  csrf: string;
  expiresAt: string;
}

export interface ShareClass {
  class: string;
  name: string;
  authorized: number;
  issued: number;
  outstanding: number;
  remaining: number;
  certificates: number;
  certificatesOutstanding?: number;
  nextId?: string;
}

export interface Certificate {
  id: string;
  class: string;
  number: number;
  name: string;
  amount: number;
  issuedAt: string;
  terms?: { holder?: string; legends?: string[]; approvedOn?: string; price?: { amount: string; currency: string }; exemption?: string };
  status?: string;
  closedBy?: { id: string; type: string; at: string };
  replacedBy?: string[];
  issuedBy?: { id: string; type: string };
}

export interface LoggedEvent {
  id: string;
  type: string;
  offset: number;
  at?: string;
  certificate?: string;
  quantity?: number;
  results?: string[];
  balance?: string;
  reason?: string;
}

export interface CertificatePage {
  items: Certificate[];
  next?: string | number;
}
