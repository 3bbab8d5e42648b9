import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterAuth, PROOF_HEADER } from '../src/cluster/cluster-auth.js';
import { FORWARD_PATH } from '../src/cluster/forward-protocol.js';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { startChild, type Child } from '../test/support/child-process.js';
import { authorizedFetch } from '../test/support/credentials.js';
import { runCommand } from './lib/children.js';
import { cpuMeter } from './lib/cpu.js';
import { measureLoad } from './lib/load.js';
import { benchPlaces } from './lib/options.js';
import { issueBody } from './lib/scenarios.js';

/**
 * What one writer can carry when other instances take the HTTP: three instances on one topic; the
 * same load (autocannon, 20 connections) first straight at the writer, then split over the two
 * followers, which forward to it; then the followers' calls sent by the load generator, since on a
 * small machine the followers take the writer's cores. The writer's CPU time per certificate in each
 * case (utime + stime from /proc) gives the projected ceiling of one writer fed by N edge instances:
 * one core over its CPU per forwarded certificate.
 *
 *   npm run bench:forwarding
 */
const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[forwarding] ${message}`);
async function role(child: Child): Promise<string> {
  const body = (await (await authorizedFetch(`${child.url}/readyz`)).json()) as { role?: string };
  return body.role ?? 'unknown';
}

/** A load sent by autocannon, and how to count the certificates in its answers. */
interface Load {
  readonly url: string;
  readonly body: object;
  readonly connections: number;
  /** The status of an answered request, and the certificates one such answer carries. */
  readonly status: '200' | '201';
  readonly certificates: number;
}

/** The public POST at one instance: one certificate per 201. */
const posts = (target: Child, connections: number): Load => ({
  url: target.url,
  body: issueBody('CS'),
  connections,
  status: '201',
  certificates: 1,
});

/** Requests in one forwarding call: about what each follower sent under the forwarded load (4.9). */
const CALL_SIZE = 5;

/**
 * The calls two followers make, one in flight each, sent by the bench instead: the writer's cost per
 * forwarded certificate with no follower taking the same cores. Each call is signed with the cluster
 * secret as a follower signs it (a fresh nonce each: autocannon's fixed requests would be replays),
 * and each answer's proof is checked. The classes are unlimited, so every result in a proven 200 is
 * a certificate.
 */
interface SignedCalls {
  readonly internalUrl: string;
  readonly proof: ClusterAuth;
}

/** Loops of one call in flight each, for `seconds`: the certificates in proven answers, and every other outcome. */
async function sendCalls(
  { internalUrl, proof }: SignedCalls,
  loops: number,
  seconds: number,
): Promise<{ certificates: number; other: number }> {
  const body = JSON.stringify({ requests: Array.from({ length: CALL_SIZE }, () => issueBody('CS')) });
  const deadline = Date.now() + seconds * 1000;
  let certificates = 0;
  let other = 0;
  const call = (): Promise<void> =>
    new Promise((resolve) => {
      const { header, nonce } = proof.signRequest('POST', FORWARD_PATH, body);
      const sent = request(`${internalUrl}${FORWARD_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [PROOF_HEADER]: header },
      });
      sent.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = Buffer.concat(chunks);
          if (response.statusCode === 200 && proof.answerProven(nonce, 200, response.headers[PROOF_HEADER] as string | undefined, answer)) {
            certificates += CALL_SIZE;
          } else other += 1;
          resolve();
        });
      });
      sent.on('error', () => {
        other += 1;
        resolve();
      });
      sent.end(body);
    });
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (Date.now() < deadline) await call();
    }),
  );
  return { certificates, other };
}

async function measure(label: string, writer: Child, loads: readonly Load[] | SignedCalls, seconds: number) {
  const writerCpu = cpuMeter(writer.pid);
  let certificates: number;
  let other: number;
  if ('proof' in loads) {
    ({ certificates, other } = await sendCalls(loads, 2, seconds));
  } else {
    const results = await Promise.all(
      loads.map((load) =>
        measureLoad({ url: load.url, bodies: [load.body], connections: load.connections, warmupSeconds: 0, measureSeconds: seconds }),
      ),
    );
    const answered = results.map((result, index) => result.statuses[loads[index]!.status] ?? 0);
    certificates = answered.reduce((sum, count, index) => sum + count * loads[index]!.certificates, 0);
    other = results.reduce((sum, result, index) => sum + result.total - answered[index]! + result.errors, 0);
  }
  const perCertificateUs = writerCpu.perResponseUs(certificates) ?? Number.NaN;
  const result = {
    label,
    certificatesPerSecond: Math.round(certificates / seconds),
    writerCpuSeconds: Math.round((perCertificateUs * certificates) / 1e4) / 100,
    writerCpuPerCertificateUs: Math.round(perCertificateUs * 10) / 10,
    projectedWriterCeiling: Math.round(1e6 / perCertificateUs),
    other,
  };
  say(JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_DURATION ?? 10);
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (await startEmbeddedBroker(places.kafkaPort));
  const build = await runCommand('npm', ['run', 'build']);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  const topic = `bench-forwarding-${Date.now()}`;
  const base = places.basePort + 5;
  // One secret for the three instances, as an operator gives them (docs/operations.md).
  const secret = randomBytes(48).toString('base64');
  const secretFile = join(mkdtempSync(join(tmpdir(), 'bench-forwarding-')), 'cluster-secret');
  writeFileSync(secretFile, secret, { mode: 0o600 });
  const internalUrls: string[] = [];
  const instances: Child[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = base + i;
      // Internal listeners above the public ports: base+10, base+11, base+12.
      const internalPort = base + 10 + i;
      internalUrls.push(`http://127.0.0.1:${internalPort}`);
      instances.push(
        await startChild({
          name: `instance-${i}`,
          args: ['dist/main.js'],
          port,
          env: {
            PORT: String(port),
            HOST: '127.0.0.1',
            INTERNAL_PORT: String(internalPort),
            ADVERTISED_URL: `http://127.0.0.1:${internalPort}`,
            CLUSTER_SECRET_FILE: secretFile,
            KAFKA_BROKERS: brokers,
            KAFKA_TOPIC: topic,
            SHARE_CLASSES: 'CS=1000000000000000,PS=1000000000000000',
          },
          logFile: join(RESULTS, `service-forwarding-${i}.log`),
        }),
      );
    }
    let roles: string[] = [];
    for (let waited = 0; waited < 30 && roles.filter((r) => r === 'writer').length !== 1; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      roles = await Promise.all(instances.map(role));
    }
    const writer = instances[roles.indexOf('writer')];
    if (writer === undefined) throw new Error(`no writer elected: ${roles.join(', ')}`);
    const followers = instances.filter((instance) => instance !== writer);
    // Warm every path up once, then measure each twice, interleaved, against the machine's drift.
    await measure(
      'warm-up',
      writer,
      [writer, ...followers].map((target) => posts(target, 7)),
      3,
    );
    const results = [];
    for (let round = 0; round < 2; round++) {
      results.push(await measure('direct: all load at the writer', writer, [posts(writer, 20)], seconds));
      results.push(
        await measure(
          'forwarded: all load at the two followers',
          writer,
          followers.map((follower) => posts(follower, 10)),
          seconds,
        ),
      );
      const signedCalls = { internalUrl: internalUrls[instances.indexOf(writer)]!, proof: new ClusterAuth(Buffer.from(secret)) };
      results.push(await measure(`calls of ${CALL_SIZE} at the writer, as two followers send them`, writer, signedCalls, seconds));
    }
    console.log(JSON.stringify(results, null, 1));
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

main().catch((error: unknown) => {
  console.error('[forwarding] fatal:', error);
  process.exit(1);
});
