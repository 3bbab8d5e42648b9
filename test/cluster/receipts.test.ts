import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../../src/auth/api-keys.js';
import { ClusterAuth, PROOF_HEADER } from '../../src/cluster/cluster-auth.js';
import { decodeAnswer, FORWARD_PATH, type ForwardAnswer } from '../../src/cluster/forward-protocol.js';
import { principalId } from '../../src/core/principal.js';
import { checkProof } from '../../src/core/proof.js';
import type { Proof, SignedHead } from '../../src/core/seal.js';
import { uniqueTopic } from '../support/broker.js';
import { Cluster } from '../support/cluster.js';
import { TEST_CLUSTER_SECRET } from '../support/cluster-secret.js';
import { ADMIN, authorizedFetch } from '../support/credentials.js';
import { issueWithKey } from '../support/http.js';
import { until } from '../support/load.js';
import { splitIssued } from '../support/receipts.js';
import { signingKeys } from '../support/signing.js';

let cluster: Cluster;
let writer: string;
let follower: string;
let writerInternal: string;

beforeAll(async () => {
  cluster = await Cluster.start(2, { KAFKA_TOPIC: uniqueTopic('receipts-cluster'), SHARE_CLASSES: 'CS=1000000' });
  const slot = await cluster.settled();
  writer = cluster.urls[slot]!;
  follower = cluster.urls[1 - slot]!;
  writerInternal = cluster.instances[slot]!.internalUrl;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

const text = async (url: string): Promise<string> => (await authorizedFetch(url)).text();

describe('receipts through a follower (two service processes)', () => {
  it("answers a forwarded POST with the writer's receipt, and every replay, on either instance, with the same one", async () => {
    const key = randomUUID();
    const ask = { class: 'CS', name: 'Forwarded Holder', amount: 4 };
    const first = await issueWithKey(follower, key, ask);
    expect(first.status).toBe(201);
    const { certificate, receipt } = splitIssued(first.body);
    expect(checkProof(certificate, receipt!, signingKeys())).toBe('ok');
    // The writer reads the same receipt from the log, and its head is the receipt's seal.
    expect(await text(`${writer}/certificates/${certificate.id}/receipt`)).toBe(JSON.stringify(receipt));
    expect(await text(`${writer}/ledger/head`)).toBe(JSON.stringify(receipt!.seal));
    for (const url of [writer, follower]) {
      const replay = await issueWithKey(url, key, ask);
      expect([url, replay.status, replay.headers.get('idempotent-replayed'), JSON.stringify(replay.body)]).toEqual([
        url,
        201,
        'true',
        JSON.stringify(first.body),
      ]);
    }
    // The follower's head catches up with the writer's as its tail reads the log.
    let head: SignedHead | undefined;
    await until('the follower to hold the signed head', async () => {
      head = (await (await authorizedFetch(`${follower}/ledger/head`)).json()) as SignedHead;
      return head.offset === receipt!.seal.offset;
    });
    expect(head).toEqual(receipt!.seal);
  });

  it("sends a forwarded replay's proof back from the writer, under the cluster's signature of the answer", async () => {
    const key = randomUUID();
    const ask = { class: 'CS', name: 'Internal Replay', amount: 2 };
    const first = await issueWithKey(writer, key, ask);
    const member = new ClusterAuth(Buffer.from(TEST_CLUSTER_SECRET));
    // As a follower that has not read the certificate yet forwards the retry.
    const body = JSON.stringify({
      requests: [{ ...ask, idempotencyKey: key, principal: principalId.apiKey(parseApiKey(ADMIN.key)!.id), requestId: 'receipts-1' }],
    });
    const { header, nonce } = member.signRequest('POST', FORWARD_PATH, body);
    const response = await fetch(`${writerInternal}${FORWARD_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROOF_HEADER]: header },
      body,
    });
    const answer = await response.text();
    expect(response.status).toBe(200);
    const { receipt } = first.body as { receipt: Proof };
    expect(decodeAnswer(JSON.parse(answer) as ForwardAnswer)).toEqual([
      { certificate: expect.objectContaining({ id: first.body.id }), replayed: true, proof: receipt },
    ]);
    const proof = response.headers.get(PROOF_HEADER) ?? undefined;
    expect(member.answerProven(nonce, 200, proof, answer)).toBe(true);
    // The proof is inside what the cluster's signature covers: changed, the answer is not the cluster's.
    const forged = answer.replace(
      receipt.valueHash,
      receipt.valueHash.replace(/^./, (digit) => (digit === '0' ? '1' : '0')),
    );
    expect(forged).not.toBe(answer);
    expect(member.answerProven(nonce, 200, proof, forged)).toBe(false);
  });
});
