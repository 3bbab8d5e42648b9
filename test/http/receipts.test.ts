import { randomUUID, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueCertificate } from '../../src/client/issue-certificate.js';
import { ApiKeyStore } from '../../src/auth/key-store.js';
import type { Certificate } from '../../src/core/certificate.js';
import { rootFromPath, sha256Hex } from '../../src/core/merkle.js';
import { checkProof, fieldsHash } from '../../src/core/proof.js';
import { headHash, headText, type Proof, type SignedHead } from '../../src/core/seal.js';
import { publicKeyOf } from '../../src/signing/signing-keys.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { keysWithRoles } from '../support/credentials.js';
import { concurrently, post } from '../support/http.js';
import { readLog } from '../support/log.js';
import { splitIssued } from '../support/receipts.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 1_000_000 },
];

const { file, keys } = keysWithRoles({
  issuer: ['certificates:issue'],
  reader: ['certificates:read'],
  auditor: ['audit:read'],
});
const store = new ApiKeyStore(file);
let app: TestApp;

beforeAll(async () => {
  app = await startApp(uniqueTopic('receipts'), CLASSES, {}, { authenticator: new Authenticator({ keys: store }) });
});

afterAll(async () => {
  await app?.close();
  store.close();
});

type Issued = Certificate & { receipt?: Proof };

async function get(path: string, key?: string): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

async function issued(body: object, idempotencyKey?: string): Promise<{ status: number; body: Issued; replayed: boolean }> {
  const headers = {
    authorization: `Bearer ${keys.issuer}`,
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  };
  const reply = await post(`${app.url}/certificates`, body, 'application/json', undefined, headers);
  return { status: reply.status, body: reply.body as unknown as Issued, replayed: reply.headers.get('idempotent-replayed') === 'true' };
}

/** A receipt as a forger may edit it. */
interface Editable {
  valueHash: string;
  index: number;
  path: string[];
  seal: { hash: string; signature: string; head: { root: string; at: string; classes: Record<string, { sharesIssued: number }> } };
}

/** The receipt with one thing changed, as a forger or a corrupted copy would present it. */
function altered(receipt: Proof, change: (copy: Editable) => void): Proof {
  const copy = structuredClone(receipt) as unknown as Editable;
  change(copy);
  return copy as unknown as Proof;
}

const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('receipts and the signed head, against a real broker', () => {
  it('answers GET /ledger/head 404 not_signed before anything was signed', async () => {
    const head = await get('/ledger/head', keys.auditor);
    expect(head.status).toBe(404);
    expect(head.body).toEqual({ error: { code: 'not_signed', message: 'The certificate log has no signed head yet: nothing was signed' } });
  });

  it('gives a 201 a receipt that checkProof accepts with the published keys, and that no altered field passes', async () => {
    const reply = await issued({ class: 'CS', name: 'Salt Bae', amount: 10 });
    expect(reply.status).toBe(201);
    const { receipt } = reply.body;
    const { certificate } = splitIssued(reply.body);
    expect(receipt).toBeDefined();
    const keys = signingKeys();
    expect(checkProof(certificate, receipt!, keys)).toBe('ok');

    // The receipt is what the log holds: the record's exact bytes, and the seal record after its write.
    const log = await readLog(app.topic);
    const record = log.find((entry) => entry.record?.id === certificate.id);
    expect(receipt!.valueHash).toBe(sha256Hex(record?.record === undefined ? '' : record.value!));
    const sealRecord = log.find((entry) => entry.offset === receipt!.seal.offset)!;
    expect(sealRecord.seal).toEqual({ head: receipt!.seal.head, signature: receipt!.seal.signature });

    const refusals = {
      name: checkProof({ ...certificate, name: 'Someone Else' }, receipt!, keys),
      amount: checkProof({ ...certificate, amount: 11 }, receipt!, keys),
      valueHash: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.valueHash = flip(copy.valueHash))),
        keys,
      ),
      index: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.index += 1)),
        keys,
      ),
      path: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.path = [...copy.path, copy.valueHash])),
        keys,
      ),
      root: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.seal.head.root = flip(copy.seal.head.root))),
        keys,
      ),
      classes: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.seal.head.classes.CS!.sharesIssued += 1)),
        keys,
      ),
      hash: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.seal.hash = flip(copy.seal.hash))),
        keys,
      ),
      // A head changed and its hash made again: only the signature can tell.
      rehashed: checkProof(
        certificate,
        altered(receipt!, (copy) => {
          copy.seal.head.at = new Date(Date.parse(copy.seal.head.at) + 1).toISOString();
          copy.seal.hash = headHash(headText(copy.seal.head as unknown as SignedHead['head']));
        }),
        keys,
      ),
      signature: checkProof(
        certificate,
        altered(receipt!, (copy) => (copy.seal.signature = `${copy.seal.signature[0] === 'A' ? 'B' : 'A'}${copy.seal.signature.slice(1)}`)),
        keys,
      ),
    };
    expect(refusals).toEqual({
      name: 'not_included',
      amount: 'not_included',
      valueHash: 'not_included',
      index: 'not_included',
      path: 'not_included',
      root: 'not_included',
      classes: 'not_included',
      hash: 'not_included',
      rehashed: 'bad_signature',
      signature: 'bad_signature',
    });
  });

  it('lets a receipt be checked by the recipes of docs/api.md alone: the head as sent is the signed text', async () => {
    const reply = await post(`${app.url}/certificates`, { class: 'PS', name: 'By Hand', amount: 3 }, 'application/json', undefined, {
      authorization: `Bearer ${keys.issuer}`,
    });
    const { receipt } = reply.body as unknown as Issued;
    const { certificate } = splitIssued(reply.body);
    const { head, signature, hash } = receipt!.seal;
    // What `jq -cj .receipt.seal.head` prints: the fields in the order received.
    const printed = JSON.stringify(head);
    expect(printed).toBe(headText(head));
    expect(hash).toBe(sha256Hex(`head:${printed}`));
    const leaf = sha256Hex(
      `leaf:${sha256Hex(JSON.stringify({ id: certificate.id, class: certificate.class, number: certificate.number, name: certificate.name, amount: certificate.amount, issuedAt: certificate.issuedAt, sharesIssued: certificate.sharesIssued }))}${receipt!.valueHash}`,
    );
    expect(leaf).toBe(sha256Hex(`leaf:${fieldsHash(certificate)}${receipt!.valueHash}`));
    expect(rootFromPath(leaf, receipt!.index, head.count, receipt!.path)).toBe(head.root);
    const published = signingKeys()
      .publicSet()
      .keys.find((jwk) => jwk.kid === head.key)!;
    expect(verify(null, Buffer.from(printed), publicKeyOf(published), Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('answers a replay with the same receipt, byte for byte, for certificates deep in a write', async () => {
    const asks = Array.from({ length: 24 }, (_, index) => ({
      key: randomUUID(),
      body: { class: 'CS', name: `Holder ${index}`, amount: 1 },
    }));
    const firsts = await concurrently(asks.length, asks.length, (index) => issued(asks[index]!.body, asks[index]!.key));
    expect(firsts.map(({ status, replayed }) => [status, replayed])).toEqual(asks.map(() => [201, false]));
    // Concurrent requests share writes: some receipts have a path of several hashes.
    expect(Math.max(...firsts.map(({ body }) => body.receipt!.path.length))).toBeGreaterThanOrEqual(2);
    const replays = await concurrently(asks.length, 4, (index) => issued(asks[index]!.body, asks[index]!.key));
    expect(replays.map(({ status, replayed }) => [status, replayed])).toEqual(asks.map(() => [201, true]));
    expect(replays.map(({ body }) => JSON.stringify(body))).toEqual(firsts.map(({ body }) => JSON.stringify(body)));
    for (const { body } of replays) expect(checkProof(splitIssued(body).certificate, body.receipt!, signingKeys())).toBe('ok');
  });

  it('gives the typed client the certificate and its receipt apart', async () => {
    const { certificate, receipt } = await issueCertificate(
      { class: 'CS', name: 'Typed Client', amount: 1 },
      { baseUrl: app.url, credentials: keys.issuer! },
    );
    expect(Object.keys(certificate)).toEqual(['id', 'class', 'number', 'name', 'amount', 'issuedAt', 'sharesIssued']);
    expect(checkProof(certificate, receipt!, signingKeys())).toBe('ok');
  });

  it('serves GET /certificates/{id}/receipt to certificates:read: the receipt the 201 carried; 404 for an unknown id', async () => {
    const first = await issued({ class: 'PS', name: 'Receipt Reader', amount: 2 });
    const id = first.body.id;
    const answer = await get(`/certificates/${id}/receipt`, keys.reader);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(JSON.stringify(first.body.receipt));
    expect((await get(`/certificates/${id}/receipt`, keys.auditor)).status).toBe(403);
    expect((await get(`/certificates/${id}/receipt`)).status).toBe(401);
    const unknown = await get('/certificates/PS-999999/receipt', keys.reader);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found', id: 'PS-999999' } } });
    expect((await get('/certificates/CS-01/receipt', keys.reader)).body).toMatchObject({ error: { code: 'invalid_certificate_id' } });
  });

  it('serves GET /ledger/head to audit:read only: the head of the newest write, which moves on with each write and chains to the last', async () => {
    const refused = await get('/ledger/head', keys.reader);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope', required: 'audit:read' } } });
    expect((await get('/ledger/head')).status).toBe(401);

    const before = (await get('/ledger/head', keys.auditor)).body as unknown as SignedHead;
    const write = await issued({ class: 'CS', name: 'Head Mover', amount: 5 });
    const after = await get('/ledger/head', keys.auditor);
    expect(after.status).toBe(200);
    const head = after.body as unknown as SignedHead;
    // The same shape and bytes as the receipt's seal: one serialisation for both.
    expect(after.text).toBe(JSON.stringify(write.body.receipt!.seal));
    expect(Object.keys(head)).toEqual(['offset', 'hash', 'head', 'signature']);
    expect(head.offset).toBe(before.offset + 2);
    expect(head.head).toMatchObject({ first: before.offset + 1, count: 1, prev: before.hash });
    expect(head.head.classes.CS).toEqual({ number: write.body.number, sharesIssued: write.body.sharesIssued });
    expect(head.hash).toBe(headHash(headText(head.head)));
    expect(signingKeys().check(head.head, headText(head.head), head.signature)).toBe('ok');
  });
});

describe('a certificate from before signing', () => {
  it('has no receipt: its 201 carries none and GET /certificates/{id}/receipt is 404 not_signed; a signed one after it has one', async () => {
    const topic = uniqueTopic('receipts-unsigned');
    const unsigned = await startApp(topic, CLASSES, { signing: { keyFile: undefined } });
    let early: Record<string, unknown>;
    try {
      early = (await post(`${unsigned.url}/certificates`, { class: 'CS', name: 'Early Holder', amount: 1 })).body;
      expect(early).not.toHaveProperty('receipt');
    } finally {
      await unsigned.close();
    }
    const signed = await startApp(topic, CLASSES, {}, { authenticator: new Authenticator({ keys: store }) });
    try {
      expect((await fetch(`${signed.url}/ledger/head`, { headers: { authorization: `Bearer ${keys.auditor}` } })).status).toBe(404);
      const answer = await fetch(`${signed.url}/certificates/${early.id as string}/receipt`, {
        headers: { authorization: `Bearer ${keys.reader}` },
      });
      expect(answer.status).toBe(404);
      expect(await answer.json()).toEqual({
        error: { code: 'not_signed', message: 'CS-1 was issued before the log was signed: it has no receipt', id: 'CS-1' },
      });
      const later = await post(
        `${signed.url}/certificates`,
        { class: 'CS', name: 'Later Holder', amount: 1 },
        'application/json',
        undefined,
        {
          authorization: `Bearer ${keys.issuer}`,
        },
      );
      expect(later.body).toMatchObject({ id: 'CS-2', receipt: { index: 0, seal: { head: { first: 1, count: 1 } } } });
      const receipt = await fetch(`${signed.url}/certificates/CS-2/receipt`, { headers: { authorization: `Bearer ${keys.reader}` } });
      expect(await receipt.json()).toEqual(later.body.receipt);
    } finally {
      await signed.close();
    }
  });
});
