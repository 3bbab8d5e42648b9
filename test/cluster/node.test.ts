import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { Forwarder } from '../../src/cluster/forwarder.js';
import { ClusterNode, type Election } from '../../src/cluster/node.js';
import { FakeLedger, fakeInstance, nextTurn } from '../support/fake-ledger.js';

const URL_OF_THIS = 'http://127.0.0.1:1';
const FORMER_WRITER = 'http://127.0.0.1:2';
const NEW_WRITER = 'http://127.0.0.1:3';

/** The group as the node asks it, with each question answered when the test says. */
class HeldElection implements Election {
  readonly generation = 1;
  readonly asked: Array<(url: string | undefined) => void> = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  writerUrl(): Promise<string | undefined> {
    return new Promise((resolve) => this.asked.push(resolve));
  }
  /** Answers the `index`th question and lets the node take the answer in. */
  async answer(index: number, url: string | undefined): Promise<void> {
    this.asked[index]!(url);
    await nextTurn();
  }
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function startedNode(election: Election): Promise<ClusterNode> {
  const ledger = new FakeLedger();
  const { state, writer, sequencers } = await fakeInstance(ledger, [{ code: 'CS', authorized: 1000 }]);
  const forwarder = new Forwarder({ timeoutMs: 2000 });
  const node = new ClusterNode({ ledger, state, writer, sequencers, forwarder }, { url: URL_OF_THIS, writerWaitMs: 2000 });
  await node.start(election);
  closers.push(() => node.stop());
  return node;
}

/** A former writer that answers every forward, after `delayMs`, that it is not the writer. */
async function steppedDownWriter(delayMs: number): Promise<string> {
  const server: Server = createServer((request, response) => {
    expect(request.url).toBe(FORWARD_PATH);
    request.resume();
    request.on('end', () =>
      setTimeout(() => {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'not_writer', message: 'not the writer' } }));
      }, delayMs),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('which writer an instance names', () => {
  it('names itself once elected, even when the group, asked while it followed, answers after the election', async () => {
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('follower', 1);
    expect(election.asked).toHaveLength(1);
    node.assigned('writer', 2);
    // The answer to the question asked as a follower: the partition was between owners then.
    await election.answer(0, undefined);
    expect(node.status()).toMatchObject({ role: 'writer', writerUrl: URL_OF_THIS });
  });

  it('does not take a stale answer as a follower: the writer it names is the one the group named after its last assignment', async () => {
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('follower', 1);
    node.assigned('follower', 2);
    expect(election.asked).toHaveLength(2);
    await election.answer(1, NEW_WRITER);
    await election.answer(0, FORMER_WRITER);
    expect(node.status()).toMatchObject({ role: 'follower', writerUrl: NEW_WRITER });
  });

  it('asks the group who writes as soon as it stops being the writer, so a writer demoted while idle is ready as a follower', async () => {
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('writer', 1);
    expect(election.asked).toHaveLength(0);
    node.assigned('follower', 2);
    expect(election.asked).toHaveLength(1);
    await election.answer(0, NEW_WRITER);
    expect(node.status()).toMatchObject({ role: 'follower', writerUrl: NEW_WRITER });
  });

  it('issues as the writer it became while a forward was refused by the former one, and still names itself', async () => {
    const former = await steppedDownWriter(200);
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('follower', 1);
    await election.answer(0, former);
    const issued = node.issue({ class: 'CS', name: 'Salt Bae', amount: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    node.assigned('writer', 2);
    expect((await issued).certificate.id).toBe('CS-1');
    expect(node.status()).toMatchObject({ role: 'writer', writerUrl: URL_OF_THIS });
  });
});
