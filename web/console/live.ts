import { useEffect } from 'preact/hooks';

export interface LiveMessage {
  kind: 'certificate' | 'lifecycle';
  data: Record<string, unknown>;
}
type Listener = (message: LiveMessage) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;

/** One EventSource per page, opened once signed in; it reconnects by itself (SSE's retry). */
export function openLive(): void {
  if (source !== undefined) return;
  source = new EventSource('/console/live');
  for (const kind of ['certificate', 'lifecycle'] as const) {
    source.addEventListener(kind, (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as Record<string, unknown>;
      for (const listener of listeners) listener({ kind, data });
    });
  }
}

export function closeLive(): void {
  source?.close();
  source = undefined;
}

export function useLive(listener: Listener, deps: unknown[]): void {
  useEffect(() => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, deps);
}
