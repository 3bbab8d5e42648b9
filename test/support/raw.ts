import { connect } from 'node:net';
import { ADMIN } from './credentials.js';

/** What came back on a raw connection: the status line's code if any, and everything read. */
export interface RawReply {
  readonly status: number | undefined;
  readonly text: string;
  /** The first response's body (by its Content-Length), or '' if none came. */
  readonly body: string;
  /** The server closed or reset the connection without any response bytes. */
  readonly dropped: boolean;
}

export type RawStep = string | Buffer | { readonly pauseMs: number };

/**
 * Speaks HTTP by hand over node:net, for what fetch will not send: truncated or slow bodies, lying
 * Content-Length headers, malformed request lines. Steps are written in order, pausing where asked;
 * with `endWrite` the client then half-closes, as a client that gives up mid-body would.
 */
export function rawRequest(
  port: number,
  steps: readonly RawStep[],
  options: { endWrite?: boolean; timeoutMs?: number } = {},
): Promise<RawReply> {
  const { endWrite = false, timeoutMs = 20_000 } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(received);
      const text = bytes.toString('utf8');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const headerEnd = bytes.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, Math.max(headerEnd, 0)).toString('latin1'));
      const body = headerEnd >= 0 && length ? bytes.subarray(headerEnd + 4, headerEnd + 4 + Number(length[1])).toString('utf8') : '';
      resolve({ status: match ? Number(match[1]) : undefined, text, body, dropped: text.length === 0 });
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got so far: ${Buffer.concat(received).toString('utf8').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      // One response is all we ask for: stop once its declared body has fully arrived.
      const text = Buffer.concat(received).toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headerEnd));
      if (headerEnd >= 0 && length && text.length - headerEnd - 4 >= Number(length[1])) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.once('connect', () => {
      void (async () => {
        for (const step of steps) {
          if (settled || socket.destroyed) return;
          if (typeof step === 'object' && 'pauseMs' in step) await new Promise((done) => setTimeout(done, step.pauseMs));
          else socket.write(step);
        }
        if (endWrite && !socket.destroyed) socket.end();
      })();
    });
  });
}

/** A POST's request line and headers (the test admin's key among them), ready for a body to follow. */
export function postHead(contentLength: number | undefined, contentType = 'application/json', path = '/'): string {
  const length = contentLength === undefined ? '' : `Content-Length: ${contentLength}\r\n`;
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN.key}\r\nContent-Type: ${contentType}\r\n${length}\r\n`;
}
