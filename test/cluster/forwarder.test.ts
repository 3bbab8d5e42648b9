import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { IssueRequest } from '../../src/core/certificate.js';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { Forwarder } from '../../src/cluster/forwarder.js';
import { freePort } from '../support/service.js';

const servers: Server[] = [];
const forwarders: Forwarder[] = [];

afterEach(async () => {
  for (const forwarder of forwarders.splice(0)) forwarder.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function writer(handle: (requests: IssueRequest[], response: ServerResponse, request: IncomingMessage) => void): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      expect(request.url).toBe(FORWARD_PATH);
      handle((JSON.parse(Buffer.concat(chunks).toString()) as { requests: IssueRequest[] }).requests, response, request);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

function forwarder(timeoutMs = 2000, maxWaiting?: number): Forwarder {
  const created = new Forwarder({ timeoutMs, maxInFlight: 1, ...(maxWaiting === undefined ? {} : { maxWaiting }) });
  forwarders.push(created);
  return created;
}

const request = (index: number): IssueRequest => ({ class: 'CS', name: `Holder ${index}`, amount: 1 + (index % 5) });

describe('Forwarder', () => {
  it('coalesces requests that wait while a call is in flight into one call, and answers each with its own result', async () => {
    const calls: number[] = [];
    let number = 0;
    const url = await writer((requests, response) => {
      calls.push(requests.length);
      const results = requests.map((item) =>
        item.amount === 5
          ? { error: { code: 'insufficient_shares', message: 'none left', remaining: 0 } }
          : {
              certificate: {
                id: `CS-${++number}`,
                class: 'CS',
                number,
                name: item.name,
                amount: item.amount,
                issuedAt: 'now',
                sharesIssued: 0,
              },
            },
      );
      // Slow enough that the other requests queue behind the first call.
      setTimeout(() => response.end(JSON.stringify({ results })), 50);
    });
    const sent = forwarder();
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, index) => sent.forward(url, request(index))));

    expect(calls.length).toBeLessThanOrEqual(3);
    expect(calls.reduce((sum, size) => sum + size, 0)).toBe(200);
    outcomes.forEach((outcome, index) => {
      if (index % 5 === 4)
        expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'insufficient_shares', details: { remaining: 0 } } });
      else expect(outcome).toMatchObject({ status: 'fulfilled', value: { certificate: { name: `Holder ${index}` }, replayed: false } });
    });
  });

  it('says not_writer when nothing could be sent (connection refused): the request may go to another writer', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({ code: 'not_writer' });
  });

  it('passes on the writer refusing as not_writer, so the follower looks for the writer again', async () => {
    const url = await writer((_, response) => {
      response.statusCode = 503;
      response.end(JSON.stringify({ error: { code: 'not_writer', message: 'not the writer' } }));
    });
    await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({ code: 'not_writer' });
  });

  it('says writer_unreachable, outcome unknown, when the writer took the call and never answered', async () => {
    const url = await writer((_, response, incoming) => {
      incoming.socket.destroy();
      void response;
    });
    await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({ code: 'writer_unreachable' });
    const silent = await writer(() => undefined);
    await expect(forwarder(300).forward(silent, request(0))).rejects.toMatchObject({ code: 'writer_unreachable' });
  });

  it('refuses past FORWARD_QUEUE_LIMIT waiting requests with 503 overloaded, sending nothing of them, and forwards again once the queue drains', async () => {
    const held: Array<() => void> = [];
    const sizes: number[] = [];
    const url = await writer((requests, response) => {
      sizes.push(requests.length);
      const results = requests.map((item, index) => ({
        certificate: {
          id: `CS-${index + 1}`,
          class: 'CS',
          number: index + 1,
          name: item.name,
          amount: item.amount,
          issuedAt: 'now',
          sharesIssued: 0,
        },
      }));
      held.push(() => response.end(JSON.stringify({ results })));
    });
    const sent = forwarder(5000, 3);
    const first = sent.forward(url, request(0));
    await expect.poll(() => held.length).toBe(1);
    const waiting = [1, 2, 3].map((index) => sent.forward(url, request(index)));
    const refused = sent.forward(url, request(4));
    await expect(refused).rejects.toMatchObject({
      code: 'overloaded',
      canRetry: true,
      message: expect.stringContaining('FORWARD_QUEUE_LIMIT'),
    });
    held.shift()!();
    await first;
    await expect.poll(() => held.length).toBe(1);
    held.shift()!();
    expect((await Promise.all(waiting)).map((issued) => issued.certificate.name)).toEqual(['Holder 1', 'Holder 2', 'Holder 3']);
    expect(sizes).toEqual([1, 3]);
  });
});
