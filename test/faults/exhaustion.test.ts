import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { faultDose } from '../support/load.js';
import { startService } from '../support/service.js';

const CLIENTS = 500;
const ROUNDS = faultDose('FAULT_EXHAUSTION_ROUNDS', 1, 10);
const AUTHORIZED = 20_000;
const CLASSES = ['CS', 'PS'];
const SHARE_CLASSES = CLASSES.map((code) => `${code}=${AUTHORIZED}`).join(',');

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly requested: number;
  readonly remaining: number;
}

/** One race per class on a fresh topic: a head start, then CLIENTS at once asking for more than is left. */
async function race(round: number): Promise<{ requests: number; remaining: Record<string, number> }> {
  const topic = uniqueTopic('exhaustion');
  const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES });
  try {
    const headStart = Object.fromEntries(CLASSES.map((code) => [code, 1000 + Math.floor(Math.random() * 10_000)]));
    for (const code of CLASSES) expect((await issue(service.url, code, headStart[code])).status).toBe(201);
    const asks = Array.from({ length: CLIENTS * CLASSES.length }, (_, index) => ({
      shareClass: CLASSES[index % CLASSES.length]!,
      amount: 20 + Math.floor(Math.random() * 130),
    }));
    const replies = await concurrently(asks.length, asks.length, (index) =>
      issue(service.url, asks[index]!.shareClass, asks[index]!.amount, `Racer ${round}-${index}`),
    );

    const remaining: Record<string, number> = {};
    for (const code of CLASSES) {
      const mine = replies.filter((_, index) => asks[index]!.shareClass === code);
      const demanded = asks.filter((ask) => ask.shareClass === code).reduce((sum, ask) => sum + ask.amount, 0);
      expect(demanded).toBeGreaterThan(AUTHORIZED - headStart[code]!);
      const granted = mine.filter((reply) => reply.status === 201).reduce((sum, reply) => sum + (reply.body.amount as number), 0);
      remaining[code] = AUTHORIZED - headStart[code]! - granted;
      expect(remaining[code]).toBeGreaterThanOrEqual(0);

      const refusals = mine
        .filter((reply) => reply.status !== 201)
        .map((reply) => ({ ...(reply.body.error as Omit<Refusal, 'status'>), status: reply.status }));
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.filter((refusal) => refusal.status !== 409 || refusal.code !== 'insufficient_shares')).toEqual([]);
      // Nothing left that a refused client could have had: less remains than the smallest refused request.
      expect(remaining[code]).toBeLessThan(Math.min(...refusals.map((refusal) => refusal.requested)));
      // Each refusal was judged against what was really left then (never a stale or negative count).
      expect(refusals.filter((refusal) => refusal.remaining >= refusal.requested || refusal.remaining < remaining[code]!)).toEqual([]);
    }

    const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES));
    expect(report.violations).toEqual([]);
    expect(report.classes.map((row) => row.remaining)).toEqual(CLASSES.map((code) => remaining[code]));
    return { requests: replies.length + CLASSES.length, remaining };
  } finally {
    await service.stop();
  }
}

describe('exhaustion race', () => {
  it(
    `issues exactly what is authorized to ${CLIENTS} concurrent clients per class asking for more, and refuses the rest with 409 (${ROUNDS} race${ROUNDS === 1 ? '' : 's'})`,
    async () => {
      const started = Date.now();
      const results = [];
      for (let round = 0; round < ROUNDS; round++) results.push(await race(round));
      console.log(
        `[exhaustion] ${ROUNDS} race(s) of ${CLIENTS} clients per class (${CLIENTS * CLASSES.length} concurrent), ` +
          `${results.reduce((sum, result) => sum + result.requests, 0)} requests, left over ${JSON.stringify(results.map((result) => result.remaining))}, ` +
          `audit ok, in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    ROUNDS * 60_000 + 30_000,
  );
});
