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

interface Cost {
  readonly size: number;
  readonly callBytes: number;
  readonly answerBytes: number;
  /** Signing the call and checking the answer. */
  readonly followerUsPerCall: number;
  /** Checking the call (its nonce taken) and signing the answer. */
  readonly writerUsPerCall: number;
  readonly writerUsPerRequest: number;
}

/** Mean µs of `task` over rounds 0 to `rounds` - 1, after a warm-up on the 1,000 rounds past those. */
function timed(rounds: number, task: (round: number) => void): number {
  for (let round = rounds; round < rounds + 1000; round++) task(round);
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) task(round);
  return Number(process.hrtime.bigint() - started) / 1000 / rounds;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function measure(size: number): Cost {
  const requests = Array.from({ length: size }, () => issueBody('CS'));
  const call = JSON.stringify({ requests });
  const answer = answerFor(requests);
  const rounds = Math.max(2000, Math.round(100_000 / size));
  // Calls signed ahead, so each side is timed alone.
  const signed = Array.from({ length: rounds + 1000 }, () => follower.signRequest('POST', FORWARD_PATH, call));
  const callBytes = Buffer.from(call);
  const answerBytes = Buffer.from(answer);
  const proofs: string[] = [];
  const writerUs = timed(rounds, (round) => {
    const nonce = writer.verifyRequest('POST', FORWARD_PATH, signed[round]!.header, callBytes);
    proofs[round] = writer.signAnswer(nonce, 200, answer);
  });
  const followerUs = timed(rounds, (round) => {
    follower.signRequest('POST', FORWARD_PATH, call);
    if (!follower.answerProven(signed[round]!.nonce, 200, proofs[round], answerBytes)) throw new Error('not proven');
  });
  return {
    size,
    callBytes: callBytes.length,
    answerBytes: answerBytes.length,
    followerUsPerCall: round2(followerUs),
    writerUsPerCall: round2(writerUs),
    writerUsPerRequest: round2(writerUs / size),
  };
}

for (const size of [1, 5, 50, 500]) console.log(JSON.stringify(measure(size)));
