import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { uniqueTopic } from '../support/broker.js';
import { instanceStatus } from '../support/cluster.js';
import { issue } from '../support/http.js';
import { until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const dir = mkdtempSync(join(tmpdir(), 'internal-tls-'));
const file = (name: string): string => join(dir, name);

/** A CA of the test's own, and a certificate it signs for 127.0.0.1: the internal listeners' identity. */
function makeCertificates(): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
      '-keyout',
      file(`${ca}.key`),
      '-out',
      file(`${ca}.pem`),
    );
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('key.pem'), '-out', file('csr.pem'));
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('csr.pem'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
    '-out',
    file('cert.pem'),
  );
}

/** The status of a POST to an https URL, trusting `ca`. */
function tlsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      { method: 'POST', ca: execFileSync('cat', [ca]), headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    call.on('error', reject);
    call.end('{"requests":[]}');
  });
}

const running: RunningService[] = [];
let topic: string;

beforeAll(() => {
  makeCertificates();
  topic = uniqueTopic('https');
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

const tls = (ca: string): Record<string, string> => ({
  KAFKA_TOPIC: topic,
  SHARE_CLASSES: 'CS=1000',
  INTERNAL_TLS_CERT_FILE: file('cert.pem'),
  INTERNAL_TLS_KEY_FILE: file('key.pem'),
  INTERNAL_TLS_CA_FILE: file(ca),
  WRITER_WAIT_MS: '2000',
});

describe('instances over https (ADVERTISED_URL https://, a CA made by the test)', () => {
  it('forward a client’s POST from the follower to the writer over TLS, checking the writer’s certificate', async () => {
    for (let slot = 0; slot < 2; slot++) running.push(await startService(tls('ca.pem')));
    const [first, second] = running as [RunningService, RunningService];
    expect(first.internalUrl).toMatch(/^https:/);
    await until(
      'one writer named by both',
      async () => {
        const statuses = await Promise.all(running.map((service) => instanceStatus(service.url)));
        return statuses.every((status) => status.ready && status.writerUrl !== undefined && status.writerUrl === statuses[0]!.writerUrl);
      },
      30_000,
    );
    const writer = (await instanceStatus(first.url)).role === 'writer' ? first : second;
    const follower = writer === first ? second : first;
    expect((await instanceStatus(follower.url)).role).toBe('follower');

    const replies = [await issue(follower.url, 'CS', 5, 'Over TLS'), await issue(writer.url, 'CS', 6, 'Direct')];
    expect(replies.map((reply) => reply.status)).toEqual([201, 201]);
    expect(replies[0]!.body).toMatchObject({ name: 'Over TLS', amount: 5 });

    // The internal listener speaks TLS only, and a stranger over TLS is still refused without the proof.
    await expect(fetch(`${writer.internalUrl.replace('https:', 'http:')}${FORWARD_PATH}`, { method: 'POST' })).rejects.toThrow();
    expect(await tlsStatus(`${writer.internalUrl}${FORWARD_PATH}`, file('ca.pem'))).toBe(401);
  }, 120_000);

  it('does not forward to a writer whose certificate its CA did not sign: 503, never 201', async () => {
    const doubting = await startService(tls('other-ca.pem'));
    running.push(doubting);
    await until('the doubting instance to follow', async () => (await instanceStatus(doubting.url)).role === 'follower', 30_000);
    const reply = await issue(doubting.url, 'CS', 1, 'Not Over Untrusted TLS');
    expect(reply.status).toBe(503);
    expect(['no_writer', 'not_writer', 'writer_unreachable']).toContain((reply.body as { error: { code: string } }).error.code);
  }, 60_000);
});
