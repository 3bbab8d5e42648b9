import { useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { html } from './html.js';

export interface Submission<T> {
  busy: boolean;
  error: ApiError | null;
  /** Runs the request with this submission's Idempotency-Key; a second call while one runs does nothing. */
  submit: (send: (idempotencyKey: string) => Promise<T>) => Promise<T | undefined>;
  /** Forgets the key: the next submit is a new request (the form's values changed). */
  reset: () => void;
}

/**
 * One Idempotency-Key per submission: made when it is first sent, kept while its outcome is unknown
 * (no answer, `log_unavailable`, `writer_unreachable`), so retrying it can never act twice; dropped
 * once the service answered for sure or the form changed, so the next submission is a new request.
 */
export function useSubmission<T>(): Submission<T> {
  const key = useRef<string | null>(null);
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (send: (idempotencyKey: string) => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setError(null);
    key.current ??= crypto.randomUUID();
    try {
      const answer = await send(key.current);
      key.current = null;
      return answer;
    } catch (caught) {
      const failure = caught instanceof ApiError ? caught : new ApiError(0, 'network', String(caught));
      if (!failure.outcomeUnknown) key.current = null;
      setError(failure);
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  };
  return { busy, error, submit, reset: () => ((key.current = null), setError(null)) };
}

export function ErrorNote({ error }: { error: ApiError | null }) {
  if (error === null) return null;
  const retry = error.outcomeUnknown ? ' The service may or may not have acted: submit again to retry safely with the same key.' : '';
  return html`<p class="error" role="alert">${error.message} (${error.code}).${retry}</p>`;
}
