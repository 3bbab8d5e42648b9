import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { IssueRequest } from '../../src/core/certificate.js';
import { ClusterAuth, PROOF_HEADER } from '../../src/cluster/cluster-auth.js';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { Forwarder } from '../../src/cluster/forwarder.js';
import { freePort } from '../support/service.js';
import { asking } from '../support/requests.js';

const servers: Server[] = [];
const forwarders: Forwarder[] = [];

afterEach(async () => {
  for (const forwarder of forwarders.splice(0)) forwarder.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const auth = new ClusterAuth(Buffer.from('forwarder test secret, long enough for HMAC'));
const stranger = ClusterAuth.ofItsOwn();

/** Answers a call as a writer signs its answers; `signer` null sends it unsigned. */
type Reply = (status: number, body: unknown, signer?: ClusterAuth | null) => void;

/**
 * A writer that takes only calls proven with the cluster's secret (a test fails otherwise), and
 * answers through `reply`, signed with the secret unless the test says otherwise.
 */
async function writer(handle: (requests: IssueRequest[], reply: Reply, request: IncomingMessage) => void): Promise<string> {
  const server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      expect(request.url).toBe(FORWARD_PATH);
      const body = Buffer.concat(chunks);
      const nonce = auth.verifyRequest(request.method!, request.url!, request.headers[PROOF_HEADER] as string, body);
      const reply: Reply = (status, answer, signer = auth) => {
        const text = JSON.stringify(answer);
        response.statusCode = status;
        if (signer !== null) response.setHeader(PROOF_HEADER, signer.signAnswer(nonce, status, text));
        response.end(text);
      };
      handle((JSON.parse(body.toString()) as { requests: IssueRequest[] }).requests, reply, request);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

function forwarder(timeoutMs = 2000, maxWaiting?: number): Forwarder {
  const created = new Forwarder({ timeoutMs, maxInFlight: 1, proof: auth, ...(maxWaiting === undefined ? {} : { maxWaiting }) });
  forwarders.push(created);
  return created;
}

const request = (index: number): IssueRequest => asking({ class: 'CS', name: `Holder ${index}`, amount: 1 + (index % 5) });

describe('Forwarder', () => {
  it('coalesces requests that wait while a call is in flight into one call, and answers each with its own result', async () => {
    const calls: number[] = [];
    let number = 0;
    const url = await writer((requests, reply) => {
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
      setTimeout(() => reply(200, { results }), 50);
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
    const url = await writer((_, reply) => reply(503, { error: { code: 'not_writer', message: 'not the writer' } }));
    await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({ code: 'not_writer' });
  });

  it('says writer_unreachable, outcome unknown, when the writer took the call and never answered', async () => {
    const url = await writer((_, _reply, incoming) => incoming.socket.destroy());
    await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({ code: 'writer_unreachable' });
    const silent = await writer(() => undefined);
    await expect(forwarder(300).forward(silent, request(0))).rejects.toMatchObject({ code: 'writer_unreachable' });
  });

  it("believes no answer without the cluster's proof: an unsigned 201-like answer, or one signed with another secret, is writer_unreachable", async () => {
    const certificate = { id: 'CS-1', class: 'CS', number: 1, name: 'Holder 0', amount: 1, issuedAt: 'now', sharesIssued: 1 };
    for (const signer of [null, stranger]) {
      const url = await writer((_, reply) => reply(200, { results: [{ certificate }] }, signer));
      await expect(forwarder().forward(url, request(0))).rejects.toMatchObject({
        code: 'writer_unreachable',
        cause: { message: "an answer (200) without the cluster's proof" },
      });
    }
  });

  it('believes no answer signed for another call: a proven answer replayed to a later call is refused', async () => {
    let first: { header: string; body: string } | undefined;
    const certificate = { id: 'CS-1', class: 'CS', number: 1, name: 'Holder 0', amount: 1, issuedAt: 'now', sharesIssued: 1 };
    const server = createServer((incoming, response) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const nonce = auth.verifyRequest('POST', incoming.url!, incoming.headers[PROOF_HEADER] as string, Buffer.concat(chunks));
        const body = JSON.stringify({ results: [{ certificate }] });
        // The first answer is signed to its call; the second call gets the first's answer again.
        first ??= { header: auth.signAnswer(nonce, 200, body), body };
        response.setHeader(PROOF_HEADER, first.header);
        response.end(first.body);
      });
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const sent = forwarder();
    await expect(sent.forward(url, request(0))).resolves.toMatchObject({ certificate: { id: 'CS-1' } });
    await expect(sent.forward(url, request(1))).rejects.toMatchObject({ code: 'writer_unreachable' });
  });

  it('refuses past FORWARD_QUEUE_LIMIT waiting requests with 503 overloaded, sending nothing of them, and forwards again once the queue drains', async () => {
    const held: Array<() => void> = [];
    const sizes: number[] = [];
    const url = await writer((requests, reply) => {
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
      held.push(() => reply(200, { results }));
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
