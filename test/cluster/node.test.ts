import { once } from 'node:events';
import { Receipts } from '../../src/core/receipts.js';
import { TRUSTS_NO_KEY } from '../../src/core/seal.js';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterAuth, PROOF_HEADER } from '../../src/cluster/cluster-auth.js';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { Forwarder } from '../../src/cluster/forwarder.js';
import { ClusterNode, type Election, type NodeObserver } from '../../src/cluster/node.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { LogFollower } from '../../src/core/ledger.js';
import { FakeLedger, fakeInstance, foreignRecord, nextTurn } from '../support/fake-ledger.js';
import { asking } from '../support/requests.js';

const URL_OF_THIS = 'http://127.0.0.1:1';
const FORMER_WRITER = 'http://127.0.0.1:2';
const NEW_WRITER = 'http://127.0.0.1:3';

/** The group as the node asks it, with each question answered when the test says. */
class HeldElection implements Election {
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

const AUTH = new ClusterAuth(Buffer.from('node test secret, long enough for HMAC-SHA256'));

const SETTINGS = { advertisedUrl: URL_OF_THIS, writerGroup: 'certificates.writer', writerSessionTimeoutMs: 6000, writerWaitMs: 2000 };

/** What the node tells its observer, one line per call. */
function recorder(): { observer: NodeObserver; told: string[] } {
  const told: string[] = [];
  return {
    told,
    observer: {
      roleChanged: (role, writerUrl) => told.push(`role ${role} ${writerUrl ?? 'none'}`),
      generation: (generation) => told.push(`generation ${generation}`),
      tailLag: (records) => told.push(`lag ${records}`),
    },
  };
}

async function startedNode(election: Election, ledger = new FakeLedger(), observer?: NodeObserver): Promise<ClusterNode> {
  const { state, writer, sequencers } = await fakeInstance(ledger, [{ code: 'CS', authorized: 1000 }]);
  const forwarder = new Forwarder({ timeoutMs: 2000, proof: AUTH });
  const receipts = new Receipts(ledger, state, TRUSTS_NO_KEY);
  const node = new ClusterNode({ ledger, state, writer, sequencers, forwarder, receipts }, SETTINGS, observer);
  await node.start(election);
  closers.push(() => node.stop());
  return node;
}

/** A former writer that answers every forward, after `delayMs`, that it is not the writer. */
async function steppedDownWriter(delayMs: number): Promise<string> {
  const server: Server = createServer((request, response) => {
    expect(request.url).toBe(FORWARD_PATH);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // A former member of the cluster: it proves its answers.
      const nonce = AUTH.verifyRequest('POST', FORWARD_PATH, request.headers[PROOF_HEADER] as string, Buffer.concat(chunks));
      setTimeout(() => {
        const body = JSON.stringify({ error: { code: 'not_writer', message: 'not the writer' } });
        response.writeHead(503, { 'content-type': 'application/json', [PROOF_HEADER]: AUTH.signAnswer(nonce, 503, body) });
        response.end(body);
      }, delayMs);
    });
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
    node.assigned('follower');
    expect(election.asked).toHaveLength(1);
    node.assigned('writer');
    // The answer to the question asked as a follower: the partition was between owners then.
    await election.answer(0, undefined);
    expect(node.status()).toMatchObject({ role: 'writer', writerUrl: URL_OF_THIS });
  });

  it('does not take a stale answer as a follower: the writer it names is the one the group named after its last assignment', async () => {
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('follower');
    node.assigned('follower');
    expect(election.asked).toHaveLength(2);
    await election.answer(1, NEW_WRITER);
    await election.answer(0, FORMER_WRITER);
    expect(node.status()).toMatchObject({ role: 'follower', writerUrl: NEW_WRITER });
  });

  it('asks the group who writes as soon as it stops being the writer, so a writer demoted while idle is ready as a follower', async () => {
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('writer');
    expect(election.asked).toHaveLength(0);
    node.assigned('follower');
    expect(election.asked).toHaveLength(1);
    await election.answer(0, NEW_WRITER);
    expect(node.status()).toMatchObject({ role: 'follower', writerUrl: NEW_WRITER });
  });

  it('issues as the writer it became while a forward was refused by the former one, and still names itself', async () => {
    const former = await steppedDownWriter(200);
    const election = new HeldElection();
    const node = await startedNode(election);
    node.assigned('follower');
    await election.answer(0, former);
    const issued = node.issue(asking({ class: 'CS', name: 'Salt Bae', amount: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    node.assigned('writer');
    expect((await issued).certificate.id).toBe('CS-1');
    expect(node.status()).toMatchObject({ role: 'writer', writerUrl: URL_OF_THIS });
  });
});

/** A log whose follower tail delivers only what the test hands it, as a tail that lags behind the writer. */
class LaggingTail extends FakeLedger {
  private deliver: ((records: LoggedRecord[], highWatermark: number) => void) | undefined;
  private next = 0;
  override follow(from: number, onRecords: (records: LoggedRecord[], highWatermark: number) => void): LogFollower {
    this.next = from;
    this.deliver = onRecords;
    return { stop: async () => void (this.deliver = undefined) };
  }
  /** The tail delivers what lies up to `end`, with the log's end as its high watermark. */
  catchUpTo(end: number): void {
    this.deliver?.(this.entries(this.next, end), this.records.length);
    this.next = Math.max(this.next, end);
  }
}

/** A log that counts the tails started on it. */
class CountingFollows extends FakeLedger {
  follows = 0;
  override follow(...args: Parameters<FakeLedger['follow']>): LogFollower {
    this.follows += 1;
    return super.follow(...args);
  }
}

describe('a lookup on an instance behind the log', () => {
  it('never denies a certificate acknowledged before the lookup began, though a catch-up begun earlier was still under way', async () => {
    const ledger = new LaggingTail();
    const node = await startedNode(new HeldElection(), ledger);
    node.assigned('follower');
    ledger.inject([foreignRecord('CS', 1, { offset: 0 })]);
    const first = node.find('CS', 1);
    // The first lookup's catch-up has read the log's end (1) and waits for the tail to get there.
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Another writer acknowledges CS-2; its client looks it up here at once.
    ledger.inject([foreignRecord('CS', 2, { offset: 1 })]);
    const second = node.find('CS', 2);
    ledger.catchUpTo(1);
    expect((await first)?.id).toBe('CS-1');
    // The tail never brings CS-2: the lookup's own catch-up reads the log itself after waiting for it.
    expect((await second)?.id).toBe('CS-2');
  });

  it('answers a lookup past the log as not found, once it has read the log to its end', async () => {
    const node = await startedNode(new HeldElection());
    node.assigned('writer');
    expect(await node.find('CS', 1)).toBeUndefined();
  });
});

describe('a writer that steps down', () => {
  it('starts its tail only once its actors have answered what they took as writer, so that only its writes move its state meanwhile', async () => {
    const ledger = new CountingFollows();
    const { observer, told } = recorder();
    const election = new HeldElection();
    const node = await startedNode(election, ledger, observer);
    node.assigned('writer');
    await node.issue(asking({ class: 'CS', name: 'First', amount: 1 }));
    const followsAsWriter = ledger.follows;
    ledger.hold();
    const inFlight = node.issue(asking({ class: 'CS', name: 'Second', amount: 1 }));
    await ledger.waitForHeld();
    node.assigned('follower');
    await nextTurn();
    expect(ledger.follows).toBe(followsAsWriter);
    ledger.release();
    expect((await inFlight).certificate.id).toBe('CS-2');
    await nextTurn();
    expect(ledger.follows).toBe(followsAsWriter + 1);
    // The tail brings what another writer writes from now on.
    ledger.inject([foreignRecord('CS', 3, { offset: 2 })]);
    await nextTurn();
    expect(node.status()).toMatchObject({ logEnd: 3, tailLag: 0 });
    await election.answer(0, NEW_WRITER);
    expect(told).toEqual(['lag 0', `role writer ${URL_OF_THIS}`, 'lag 0', `role follower ${NEW_WRITER}`]);
  });

  it('says its role as a follower with the writer it names, its generation as it moves, and no tail lag while it writes', async () => {
    const { observer, told } = recorder();
    const election = new HeldElection();
    const node = await startedNode(election, new FakeLedger(), observer);
    node.assigned('follower');
    node.generationMoved(7);
    await election.answer(0, NEW_WRITER);
    node.assigned('writer');
    expect(told).toEqual(['generation 7', `role follower ${NEW_WRITER}`, 'lag 0', `role writer ${URL_OF_THIS}`]);
    expect(node.status()).toMatchObject({ role: 'writer', generation: 7, tailLag: 0 });
  });
});
