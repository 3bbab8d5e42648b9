import { describe, expect, it } from 'vitest';
import { useApp } from '../support/app.js';
import { ADMIN } from '../support/credentials.js';
import { rawRequest, type RawStep } from '../support/raw.js';

const app = useApp('body-arrival', [{ code: 'CS', authorized: 1_000_000 }]);
const BODY = JSON.stringify({ name: 'Salt Bae', amount: 1, class: 'CS' });

function head(extra: string): string {
  return `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN.key}\r\nContent-Type: application/json\r\nConnection: close\r\n${extra}\r\n`;
}

async function send(steps: readonly RawStep[]): Promise<{ status: number | undefined; body: Record<string, unknown> }> {
  const reply = await rawRequest(Number(new URL(app().url).port), steps);
  return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
}

// A body that came with its headers is taken from the stream's buffer (src/http/body.ts); any
// other arrival is read as it comes. Each must be read whole and issued once, in order.
describe('a request body is read whole however it arrives', () => {
  it('in the same write as its headers', async () => {
    const reply = await send([head(`Content-Length: ${BODY.length}\r\n`) + BODY]);
    expect(reply).toMatchObject({ status: 201, body: { id: 'CS-1', name: 'Salt Bae' } });
  });

  it('after its headers, a few bytes at a time', async () => {
    const pieces = [BODY.slice(0, 5), BODY.slice(5, 20), BODY.slice(20)];
    const reply = await send([head(`Content-Length: ${BODY.length}\r\n`), ...pieces.flatMap((piece) => [{ pauseMs: 50 }, piece])]);
    expect(reply).toMatchObject({ status: 201, body: { id: 'CS-2' } });
  });

  it('partly with its headers and the rest later', async () => {
    const reply = await send([head(`Content-Length: ${BODY.length}\r\n`) + BODY.slice(0, 10), { pauseMs: 50 }, BODY.slice(10)]);
    expect(reply).toMatchObject({ status: 201, body: { id: 'CS-3' } });
  });

  it('chunked, with no declared length', async () => {
    const chunked = `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
    const reply = await send([head('Transfer-Encoding: chunked\r\n') + chunked]);
    expect(reply).toMatchObject({ status: 201, body: { id: 'CS-4' } });
  });

  it('empty, with a declared length of 0: refused as invalid JSON, no number taken', async () => {
    const reply = await send([head('Content-Length: 0\r\n')]);
    expect(reply).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const next = await send([head(`Content-Length: ${BODY.length}\r\n`) + BODY]);
    expect(next.body.id).toBe('CS-5');
  });
});
