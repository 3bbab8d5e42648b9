import { ClusterAuth } from '../src/cluster/cluster-auth.js';
import { FORWARD_PATH } from '../src/cluster/forward-protocol.js';
import { issueBody } from './lib/scenarios.js';

/**
 * What the cluster's proof costs a forwarded call, both sides together: the follower signs the call
 * and checks the answer, the writer checks the call and signs the answer (src/cluster/cluster-auth.ts),
 * for calls of 1 to 500 requests with bodies and answers the size the service sends.
 *
 *   npx tsx bench/cluster-proof-cost.ts
 */
const follower = new ClusterAuth(Buffer.from('bench cluster secret, long enough for HMAC-SHA256'));
const writer = new ClusterAuth(Buffer.from('bench cluster secret, long enough for HMAC-SHA256'), { maxRemembered: 10_000_000 });

function answerFor(requests: readonly object[]): string {
  const results = requests.map((request, index) => ({
    certificate: { ...request, id: `CS-${index + 1}`, number: index + 1, issuedAt: new Date().toISOString(), sharesIssued: index + 1 },
  }));
  return JSON.stringify({ results });
}

function measure(size: number): { size: number; callBytes: number; answerBytes: number; usPerCall: number; usPerRequest: number } {
  const requests = Array.from({ length: size }, () => issueBody('CS'));
  const call = JSON.stringify({ requests });
  const answer = answerFor(requests);
  const once = (): void => {
    const { header, nonce } = follower.signRequest('POST', FORWARD_PATH, call);
    const taken = writer.verifyRequest('POST', FORWARD_PATH, header, Buffer.from(call));
    const proof = writer.signAnswer(taken, 200, answer);
    if (!follower.answerProven(nonce, 200, proof, Buffer.from(answer))) throw new Error('not proven');
  };
  for (let i = 0; i < 2000; i++) once();
  const rounds = Math.max(2000, Math.round(200_000 / size));
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) once();
  const usPerCall = Number(process.hrtime.bigint() - started) / 1000 / rounds;
  return {
    size,
    callBytes: Buffer.byteLength(call),
    answerBytes: Buffer.byteLength(answer),
    usPerCall: Math.round(usPerCall * 100) / 100,
    usPerRequest: Math.round((usPerCall / size) * 100) / 100,
  };
}

for (const size of [1, 5, 50, 500]) console.log(JSON.stringify(measure(size)));
