import { describe, expect, it } from 'vitest';
import { checkProof } from '../../src/core/proof.js';
import { useApp } from '../support/app.js';
import { concurrently, issue, post } from '../support/http.js';
import { splitIssued } from '../support/receipts.js';
import { signingKeys } from '../support/signing.js';

const app = useApp('issue', [
  { code: 'CS', authorized: 2_600_000 },
  { code: 'PS', authorized: 750_000 },
]);

function numbersOf(replies: Array<{ status: number; body: Record<string, unknown> }>, shareClass: string): number[] {
  return replies
    .filter((reply) => reply.status === 201 && reply.body.class === shareClass)
    .map((reply) => reply.body.number as number)
    .sort((a, b) => a - b);
}

const oneTo = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

describe('POST / against a real broker', () => {
  it('issues CS-1 and PS-1 first, with a 201, a Location and the whole certificate', async () => {
    const before = Date.now();
    const cs = await issue(app().url, 'CS', 10);
    const ps = await post(`${app().url}/certificates`, { name: 'Salt Bae', amount: 10, class: 'PS' });
    expect(cs.status).toBe(201);
    expect(cs.headers.get('location')).toBe('/certificates/CS-1');
    expect(cs.body).toMatchObject({ id: 'CS-1', class: 'CS', number: 1, name: 'Salt Bae', amount: 10, sharesIssued: 10 });
    expect(Date.parse(cs.body.issuedAt as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(ps.status).toBe(201);
    expect(ps.headers.get('location')).toBe('/certificates/PS-1');
    expect(ps.body).toMatchObject({ id: 'PS-1', number: 1 });
  });

  it('numbers each class sequentially, independent of the other', async () => {
    const ids: string[] = [];
    for (const shareClass of ['CS', 'CS', 'PS', 'CS', 'PS']) ids.push((await issue(app().url, shareClass, 1)).body.id as string);
    expect(ids).toEqual(['CS-2', 'CS-3', 'PS-2', 'CS-4', 'PS-3']);
  });

  it('gives 5,000 requests from 100 concurrent clients exactly the numbers 1..N per class, and the topic holds exactly those', async () => {
    const startCs = app()
      .sequencers.snapshots()
      .find((snapshot) => snapshot.class === 'CS')!.certificates;
    const startPs = app()
      .sequencers.snapshots()
      .find((snapshot) => snapshot.class === 'PS')!.certificates;
    const replies = await concurrently(5000, 100, (index) =>
      issue(app().url, index % 3 === 0 ? 'PS' : 'CS', 1 + (index % 5), `Client ${index}`),
    );
    expect(replies.filter((reply) => reply.status !== 201)).toEqual([]);

    const cs = numbersOf(replies, 'CS');
    const ps = numbersOf(replies, 'PS');
    expect(cs).toEqual(oneTo(startCs + cs.length).slice(startCs));
    expect(ps).toEqual(oneTo(startPs + ps.length).slice(startPs));

    const committed = await app().committed();
    for (const shareClass of ['CS', 'PS']) {
      const inLog = committed.filter((certificate) => certificate.class === shareClass);
      expect(inLog.map((certificate) => certificate.number)).toEqual(oneTo(inLog.length));
      let total = 0;
      for (const certificate of inLog) {
        total += certificate.amount;
        expect(certificate.sharesIssued).toBe(total);
      }
    }
    const acknowledged = new Map(replies.map((reply) => [reply.body.id as string, splitIssued(reply.body)]));
    // Each answer is the certificate as committed, with a receipt that proves it signed.
    const keys = signingKeys();
    for (const certificate of committed.filter((entry) => acknowledged.has(entry.id))) {
      const answer = acknowledged.get(certificate.id)!;
      expect(answer.certificate).toEqual(certificate);
      expect(checkProof(certificate, answer.receipt!, keys)).toBe('ok');
    }
    expect(committed.filter((entry) => acknowledged.has(entry.id))).toHaveLength(5000);
  });
});

describe('authorized shares', () => {
  const small = useApp('exhaust', [{ code: 'CS', authorized: 1000 }]);

  it('never issues more than the authorized total under concurrency, refuses the rest with 409, and issues nothing after', async () => {
    const replies = await concurrently(400, 50, (index) => issue(small().url, 'CS', 3 + (index % 4)));
    const accepted = replies.filter((reply) => reply.status === 201);
    const refused = replies.filter((reply) => reply.status !== 201);
    const issued = accepted.reduce((sum, reply) => sum + (reply.body.amount as number), 0);

    expect(issued).toBeLessThanOrEqual(1000);
    expect(1000 - issued).toBeLessThan(3);
    expect(refused.length).toBeGreaterThan(0);
    for (const reply of refused) {
      expect(reply.status).toBe(409);
      // Each refusal reports what remained when its turn came: less than it asked for, never less than what remains now.
      const { code, requested, remaining } = reply.body.error as { code: string; requested: number; remaining: number };
      expect(code).toBe('insufficient_shares');
      expect(remaining).toBeLessThan(requested);
      expect(remaining).toBeGreaterThanOrEqual(1000 - issued);
    }
    expect(numbersOf(accepted, 'CS')).toEqual(oneTo(accepted.length));

    const remaining = 1000 - issued;
    const tooMuch = await issue(small().url, 'CS', remaining + 1);
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toEqual({
      error: {
        code: 'insufficient_shares',
        message: `Class CS has ${remaining} authorized shares left; ${remaining + 1} were requested`,
        class: 'CS',
        requested: remaining + 1,
        remaining,
      },
    });
    const committed = await small().committed();
    expect(committed).toHaveLength(accepted.length);
    expect(committed.at(-1)!.sharesIssued).toBe(issued);
  });
});
