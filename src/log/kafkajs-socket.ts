import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/**
 * The largest answer kafkajs may take from a broker. Its largest requests are fetches, for at most
 * 10 MiB (its default maxBytes, which the service keeps) from the one partition, of batches of
 * small records; kafkajs itself trusts any size prefix, up to the 2 GiB it can claim, and buffers
 * towards it until the request times out.
 */
export const MAX_KAFKAJS_ANSWER_BYTES = 64 * 1024 * 1024;

/** kafkajs's own keep-alive, kept. */
const KEEP_ALIVE_MS = 60_000;

/**
 * Follows the answers' size prefixes on a connection and destroys it at the first that claims more
 * than `maxBytes`, before kafkajs, which reads the same bytes after this, buffers towards it.
 */
export function capAnswers(socket: Socket, maxBytes: number, name: string): void {
  let prefix = Buffer.alloc(0);
  let remaining = 0;
  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (remaining > 0) {
        const taken = Math.min(remaining, chunk.length - at);
        remaining -= taken;
        at += taken;
        continue;
      }
      const wanted = 4 - prefix.length;
      prefix = Buffer.concat([prefix, chunk.subarray(at, at + wanted)]);
      at += wanted;
      if (prefix.length < 4) return;
      const size = prefix.readInt32BE(0);
      prefix = Buffer.alloc(0);
      if (size < 0 || size > maxBytes) {
        socket.destroy(new Error(`${name} sent an answer of ${size} bytes; expected 0 to ${maxBytes} bytes`));
        return;
      }
      remaining = size;
    }
  });
}

/** kafkajs's socket factory (TCP or TLS, as configured), with every connection's answers capped. */
export const cappedSocketFactory =
  (maxBytes = MAX_KAFKAJS_ANSWER_BYTES): ISocketFactory =>
  ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? connectTls({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl }, onConnect)
      : connectTcp({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_MS);
    capAnswers(socket, maxBytes, `${host}:${port}`);
    return socket;
  };
