import { once } from 'node:events';
import { ledgerOn, testPrinter } from '../support/settings.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { serviceReadiness } from '../../src/monitoring/readiness.js';
import { useApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { authorizedFetch, testAuthenticator } from '../support/credentials.js';

/** As an operator with `ops:read` (the test admin) asks. */
async function get(url: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await authorizedFetch(url);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const app = useApp('health', [
  { code: 'CS', authorized: 100 },
  { code: 'PS', authorized: 100 },
]);

describe('GET /healthz and GET /readyz against a real broker', () => {
  it('answers /healthz 200 while the process runs', async () => {
    expect(await get(`${app().url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz 200 with every check, and its role, once the producer is connected, a writer is known and every class has read the log', async () => {
    expect(await get(`${app().url}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { log: true, writer: true, 'class:CS': true, 'class:PS': true }, role: 'writer' },
    });
  });

  it('answers a /readyz probe without credentials with ready or not alone: the status code, none of the checks nor the writer', async () => {
    const response = await fetch(`${app().url}/readyz`);
    expect([response.status, await response.json()]).toEqual([200, { status: 'ready' }]);
    expect(response.headers.get('cache-control')).toBeNull();
  });

  it('answers /readyz 503 not_ready naming the parts not ready, and reconnects the log producer through probes alone', async () => {
    // A producer that never connected, and no writer known: an instance whose log failed it while idle, out of its group.
    const ledger = ledgerOn(uniqueTopic('health-cold'), 'test-health');
    const node = {
      status: () => ({ role: 'unknown' as const, generation: undefined, writerUrl: undefined, logEnd: 0, tailLag: 0, voidRecords: 0 }),
      snapshots: () => app().node.snapshots(),
    };
    const readiness = serviceReadiness(ledger, node, () => 0);
    const { authenticator } = testAuthenticator();
    const server: Server = createApp({ issuer: app().node, readiness, logSample: 0, paper: testPrinter(), authenticator }).listen(
      0,
      '127.0.0.1',
    );
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    try {
      const cold = await get(url);
      expect(cold).toMatchObject({
        status: 503,
        body: { error: { code: 'not_ready', message: 'Not ready: log, writer', checks: { log: false, writer: false }, role: 'unknown' } },
      });
      expect(cold.headers.get('retry-after')).toBe('1');
      // A probe without credentials learns that it is not ready, and nothing of why.
      const bare = await fetch(url);
      expect([bare.status, await bare.json()]).toEqual([503, { error: { code: 'not_ready', message: 'Not ready' } }]);
      let body = cold.body;
      for (let tries = 0; (body.error as { checks: { log: boolean } }).checks.log !== true && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        body = (await get(url)).body;
      }
      expect(body).toMatchObject({ error: { message: 'Not ready: writer', checks: { log: true, writer: false } } });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ledger.disconnect();
    }
  });
});
