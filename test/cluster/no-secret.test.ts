import { afterAll, describe, expect, it } from 'vitest';
import { ClusterAuth, PROOF_HEADER } from '../../src/cluster/cluster-auth.js';
import { FORWARD_PATH } from '../../src/cluster/forward-protocol.js';
import { uniqueTopic } from '../support/broker.js';
import { instanceStatus } from '../support/cluster.js';
import { TEST_CLUSTER_SECRET } from '../support/cluster-secret.js';
import { issue } from '../support/http.js';
import { until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const running: RunningService[] = [];

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
});

describe('instances without CLUSTER_SECRET_FILE', () => {
  it('issue alone as before, warning that they trust no other; a second one is never forwarded to nor forwards: 503 no_writer', async () => {
    // An empty value is unset: each instance makes a secret of its own.
    const env = { KAFKA_TOPIC: uniqueTopic('no-secret'), SHARE_CLASSES: 'CS=1000', CLUSTER_SECRET_FILE: '', WRITER_WAIT_MS: '1500' };
    const first = await startService(env);
    running.push(first);
    await until('the lone instance to write', async () => (await instanceStatus(first.url)).role === 'writer', 15_000);
    expect((await issue(first.url, 'CS', 1)).status).toBe(201);
    expect(first.output()).toContain('CLUSTER_SECRET_FILE is unset: this instance made a secret of its own and trusts no other instance');

    const second = await startService(env);
    running.push(second);
    await until('the second instance to follow', async () => (await instanceStatus(second.url)).role === 'follower', 15_000);
    const reply = await issue(second.url, 'CS', 1);
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ error: { code: 'no_writer' } });
    expect(await instanceStatus(first.url)).toMatchObject({ role: 'writer' });

    // Nor does it take a call signed with any other secret.
    const body = JSON.stringify({ requests: [{ class: 'CS', name: 'Mallory', amount: 1 }] });
    const { header } = new ClusterAuth(Buffer.from(TEST_CLUSTER_SECRET)).signRequest('POST', FORWARD_PATH, body);
    const call = await fetch(`${first.internalUrl}${FORWARD_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROOF_HEADER]: header },
      body,
    });
    expect(call.status).toBe(401);
  }, 60_000);
});
