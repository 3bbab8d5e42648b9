import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSigningCommand } from '../../src/cli/signing-command.js';
import { parseShareClasses } from '../../src/config.js';
import { ValidityRule } from '../../src/core/validity.js';
import { KEY_RELOAD_BOUND_MS } from '../../src/files/followed-file.js';
import { writePrivateFile } from '../../src/files/private-file.js';
import { readSigningFile } from '../../src/signing/key-file.js';
import { uniqueTopic } from '../support/broker.js';
import { issue } from '../support/http.js';
import { until } from '../support/load.js';
import { readLog } from '../support/log.js';
import { startService, type RunningService } from '../support/service.js';
import { signingKeys } from '../support/signing.js';

const SHARE_CLASSES = 'CS=1000';
const file = join(mkdtempSync(join(tmpdir(), 'signing-service-')), 'signing-keys.json');
const first = runSigningCommand(['create'], file).at(-1)!;
const topic = uniqueTopic('signing-service');
let service: RunningService;

beforeAll(async () => {
  service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES, SIGNING_KEY_FILE: file });
});

afterAll(async () => {
  await service?.stop();
});

async function published(): Promise<{ status: number; cache: string | null; type: string | null; keys: Array<Record<string, unknown>> }> {
  const response = await fetch(`${service.url}/.well-known/jwks.json`);
  const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
  return {
    status: response.status,
    cache: response.headers.get('cache-control'),
    type: response.headers.get('content-type'),
    keys: body.keys,
  };
}

/** The key that signed the newest valid seal in the topic, judged with the file's keys. */
async function newestSigner(): Promise<string | undefined> {
  const rule = new ValidityRule(parseShareClasses(SHARE_CLASSES), signingKeys(file));
  for (const entry of await readLog(topic)) rule.judge(entry);
  return rule.signedHead?.head.key;
}

const reloads = (): number => service.output().split('"msg":"signing keys reloaded"').length - 1;

describe('the signing keys of a running service process', () => {
  it('are published without credentials at /.well-known/jwks.json, public halves only, for a minute of caching', async () => {
    const answer = await published();
    expect(answer).toMatchObject({ status: 200, cache: 'public, max-age=60', type: 'application/json; charset=utf-8' });
    expect(answer.keys).toEqual(JSON.parse(runSigningCommand(['public'], file).join('\n')).keys);
    expect(answer.keys.map((key) => [key.kid, 'd' in key])).toEqual([[first, false]]);
  });

  it('take a key added to the file within the stated bound, without a restart: it is published and signs the next write', async () => {
    expect((await issue(service.url, 'CS', 1)).status).toBe(201);
    expect(await newestSigner()).toBe(first);
    const began = Date.now();
    const second = runSigningCommand(['create'], file).at(-1)!;
    await until(
      'the added key to be published',
      async () => (await published()).keys.some((key) => key.kid === second),
      KEY_RELOAD_BOUND_MS,
    );
    console.log(`a running service published and signed with an added key ${Date.now() - began} ms after it was written`);
    expect((await issue(service.url, 'CS', 1)).status).toBe(201);
    expect(await newestSigner()).toBe(second);
  });

  it('reads the file again at once on SIGHUP', async () => {
    const before = reloads();
    service.child.kill('SIGHUP');
    await until('the reload to be logged', () => reloads() > before, 5000);
  });

  it('keeps the keys in force when the file turns bad, logging an error that holds no key, and goes on signing', async () => {
    const good = readFileSync(file, 'utf8');
    const kids = (await published()).keys.map((key) => key.kid);
    writePrivateFile(file, '{"version":1,"keys":[{"kid":');
    try {
      await until('the error to be logged', () => service.output().includes('Keeping the 2 signing keys in force'), KEY_RELOAD_BOUND_MS);
      expect((await published()).keys.map((key) => key.kid)).toEqual(kids);
      expect((await issue(service.url, 'CS', 1)).status).toBe(201);
    } finally {
      writePrivateFile(file, good);
    }
    const privateHalves = readSigningFile(file).keys.map((key) => key.d!);
    expect(privateHalves.filter((d) => service.output().includes(d))).toEqual([]);
  });
});
