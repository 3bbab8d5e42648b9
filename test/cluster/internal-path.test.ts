import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAuth, PROOF_HEADER } from '../../src/cluster/cluster-auth.js';
import { ACT_PATH, FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { uniqueTopic } from '../support/broker.js';
import { Cluster } from '../support/cluster.js';
import { TEST_CLUSTER_SECRET } from '../support/cluster-secret.js';
import { issue, post } from '../support/http.js';

/** Two instances sharing the suite's cluster secret; the tests call their listeners as a stranger or as a member would. */
let cluster: Cluster;
let writer: number;
const member = new ClusterAuth(Buffer.from(TEST_CLUSTER_SECRET));
const body = JSON.stringify({ requests: [{ class: 'CS', name: 'Mallory', amount: 2_600_000 }] });

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly proof: string | null;
  readonly challenge: string | null;
}

async function call(url: string, headers: Record<string, string> = {}, sent: string = body, path = FORWARD_PATH): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: sent,
  });
  return {
    status: response.status,
    text: await response.text(),
    proof: response.headers.get(PROOF_HEADER),
    challenge: response.headers.get('www-authenticate'),
  };
}

/** A call signed as a follower signs it, with `signer`'s secret and clock. */
function signed(signer: ClusterAuth, sent: string = body, path = FORWARD_PATH): { headers: Record<string, string>; nonce: string } {
  const { header, nonce } = signer.signRequest('POST', path, sent);
  return { headers: { [PROOF_HEADER]: header }, nonce };
}

const code = (answer: Answer): string => (JSON.parse(answer.text) as { error: { code: string } }).error.code;

beforeAll(async () => {
  cluster = await Cluster.start(2, { KAFKA_TOPIC: uniqueTopic('internal-path'), SHARE_CLASSES: 'CS=2600000' });
  writer = await cluster.settled();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('the path between instances', () => {
  it('is absent from the public port: /internal/issue answers 404 there, even with a valid proof', async () => {
    for (const instance of cluster.instances) {
      const answer = await call(instance.url, signed(member).headers);
      expect(answer.status).toBe(404);
      expect(code(answer)).toBe('not_found');
    }
  });

  it('refuses a call without the cluster proof on the internal listener: 401 unauthenticated, unsigned, nothing issued', async () => {
    const internal = cluster.instances[writer]!.internalUrl;
    const none = await call(internal);
    expect(none).toMatchObject({ status: 401, proof: null, challenge: 'Cluster-Proof' });
    expect(JSON.parse(none.text)).toEqual({
      error: {
        code: 'unauthenticated',
        message: `Expected a ${PROOF_HEADER} header (t=…,n=…,s=…) signed with the cluster secret, got none`,
      },
    });
    // A whole call's worth of body without a proof is refused before it is read.
    expect((await call(internal, {}, JSON.stringify({ requests: Array(500).fill({ name: 'x'.repeat(4000) }) }))).status).toBe(401);
    const malformed = await call(internal, { [PROOF_HEADER]: 't=1,n=x,s=y' });
    expect(malformed.status).toBe(401);
    expect(JSON.parse(malformed.text).error.message).toContain('got a malformed one');
    // Any other path is refused as well: nothing on this listener answers a stranger.
    expect((await fetch(`${internal}/readyz`)).status).toBe(401);
  });

  it('refuses a call signed with another secret, and a call whose body is not the one signed', async () => {
    const internal = cluster.instances[writer]!.internalUrl;
    const stranger = await call(internal, signed(new ClusterAuth(Buffer.from('a secret of the right length but the wrong one'))).headers);
    expect(stranger.status).toBe(401);
    expect(JSON.parse(stranger.text).error.message).toContain('got a wrong signature');
    const swapped = await call(internal, signed(member).headers, body.replace('Mallory', 'Mallorx'));
    expect(swapped.status).toBe(401);
    expect(JSON.parse(swapped.text).error.message).toContain('got a wrong signature');
  });

  it('refuses a stale call (signed 60 s ago, or 60 s ahead) and a replayed one; takes the fresh one once, with a proven answer', async () => {
    const internal = cluster.instances[writer]!.internalUrl;
    for (const skew of [-60_000, 60_000]) {
      const skewed = new ClusterAuth(Buffer.from(TEST_CLUSTER_SECRET), { now: () => Date.now() + skew });
      const stale = await call(internal, signed(skewed).headers);
      expect(stale.status).toBe(401);
      expect(JSON.parse(stale.text).error.message).toMatch(
        /^Expected a call signed within 10000 ms of this instance's clock, got one signed -?\d+ ms ago$/,
      );
    }

    const fresh = signed(
      member,
      JSON.stringify({
        requests: [{ class: 'CS', name: 'Ada Member', amount: 3, principal: 'key:member-test', requestId: 'member-test-1' }],
      }),
    );
    const sent = JSON.stringify({
      requests: [{ class: 'CS', name: 'Ada Member', amount: 3, principal: 'key:member-test', requestId: 'member-test-1' }],
    });
    const taken = await call(internal, fresh.headers, sent);
    expect(taken.status).toBe(200);
    expect(JSON.parse(taken.text)).toMatchObject({ results: [{ certificate: { name: 'Ada Member', amount: 3 } }] });
    expect(member.answerProven(fresh.nonce, 200, taken.proof ?? undefined, taken.text)).toBe(true);

    const replayed = await call(internal, fresh.headers, sent);
    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.text).error.message).toBe('Expected a call sent once, got one already taken (a replay)');
  });

  it('signs the writer’s refusals too: a follower called directly answers a proven not_writer', async () => {
    const follower = cluster.instances[1 - writer]!.internalUrl;
    const { headers, nonce } = signed(member);
    const answer = await call(follower, headers);
    expect(answer.status).toBe(503);
    expect(code(answer)).toBe('not_writer');
    expect(member.answerProven(nonce, 503, answer.proof ?? undefined, answer.text)).toBe(true);
  });

  it('still forwards a client’s POST from the follower to the writer over the internal listener', async () => {
    const reply = await issue(cluster.instances[1 - writer]!.url, 'CS', 7, 'Forwarded Holder');
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ name: 'Forwarded Holder', amount: 7 });
  });

  it('takes a forwarded event on /internal/act only with the cluster proof, only on the writer, and answers a refusal as its result', async () => {
    const internal = cluster.instances[writer]!.internalUrl;
    const stop = JSON.stringify({
      request: { event: 'stop', class: 'CS', certificate: 'CS-999999', principal: 'key:x', requestId: 'r-1' },
    });
    expect((await call(internal, {}, stop, ACT_PATH)).status).toBe(401);
    expect((await call(cluster.instances[writer]!.url, signed(member, stop, ACT_PATH).headers, stop, ACT_PATH)).status).toBe(404);
    const follower = await call(cluster.instances[1 - writer]!.internalUrl, signed(member, stop, ACT_PATH).headers, stop, ACT_PATH);
    expect([follower.status, code(follower)]).toEqual([503, 'not_writer']);
    const refused = await call(internal, signed(member, stop, ACT_PATH).headers, stop, ACT_PATH);
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.text)).toMatchObject({ result: { error: { code: 'unknown_certificate', certificate: 'CS-999999' } } });
    const forged = stop.replace('"class":"CS"', '"class":"CS","quantity":-1');
    const bad = await call(internal, signed(member, forged, ACT_PATH).headers, forged, ACT_PATH);
    expect([bad.status, code(bad)]).toEqual([400, 'invalid_body']);
  });

  it('forwards a client’s transfer from the follower to the writer, which numbers its results', async () => {
    const seller = await issue(cluster.instances[writer]!.url, 'CS', 10, 'Seller');
    const reply = await post(`${cluster.instances[1 - writer]!.url}/certificates/${seller.body.id as string}/transfer`, {
      transferees: [{ name: 'Buyer', amount: 3 }],
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect((reply.body.results as Array<Record<string, unknown>>).map(({ name, amount }) => [name, amount])).toEqual([
      ['Buyer', 3],
      ['Seller', 7],
    ]);
  });
});
