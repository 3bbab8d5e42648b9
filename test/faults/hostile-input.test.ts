import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js';
import { STATUS_OF } from '../../src/http/status.js';
import { uniqueTopic } from '../support/broker.js';
import { issue } from '../support/http.js';
import { faultDose } from '../support/load.js';
import { postHead, rawRequest, type RawReply, type RawStep } from '../support/raw.js';
import { startService, type RunningService } from '../support/service.js';

const CASES = faultDose('FUZZ_CASES', 5000, 50_000);
const ROUNDS = 5;
const SLOW_SENDERS = 4;
const CLASSES = ['CS', 'PS'];
const VALID = { name: 'Fuzz Holder', amount: 1, class: 'CS' };

/** One hostile request and what it may get back; `mayDrop`: the server may close without answering. */
interface HostileCase {
  readonly kind: string;
  readonly steps: RawStep[];
  readonly expect: readonly number[];
  readonly mayDrop?: boolean;
  readonly endWrite?: boolean;
}

function jsonPost(body: string | Buffer, kind: string, expect: readonly number[] = [400]): HostileCase {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { kind, steps: [postHead(bytes.length), bytes], expect };
}

/** The valid request with one field's raw JSON value replaced. */
function withField(field: 'name' | 'amount' | 'class', rawValue: string): string {
  const others = Object.entries(VALID).filter(([key]) => key !== field);
  return `{${[...others.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`), `${JSON.stringify(field)}:${rawValue}`].join(',')}}`;
}

const neitherStringNorNumber = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const notAString = fc.oneof(fc.integer(), neitherStringNorNumber);
const notAnAmount = fc.oneof(
  fc.integer({ min: -1_000_000, max: 0 }).map(String),
  fc
    .double()
    .filter((value) => !(Number.isSafeInteger(value) && value >= 1))
    .map((value) => JSON.stringify(value)),
  fc.constantFrom('1e400', '-1e400', '9007199254740993', '1.0000000000000002', '-0', '0.5'),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }).map(String),
  fc.oneof(fc.string(), neitherStringNorNumber).map((value) => JSON.stringify(value)),
);
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
/** The names of issue 31: a right-to-left override, isolates, zero-width characters, a Cyrillic А in "Alice". */
const DECEIVING_NAMES = [
  'Alice \u202eecilA',
  '\u2066Alice\u2069',
  'Alice \u2067Smith\u2069',
  '\u2068Alice',
  'Al\u200bice',
  'Al\u200dice',
  'Alice\ufeffSmith',
  '\u0410lice',
];
const notAName = fc.oneof(
  fc.constantFrom('""', '"   "', '"\\t\\n"', '"\\ud800"', '"a\\udc00b"'),
  fc.constantFrom(...DECEIVING_NAMES.map((name) => JSON.stringify(name))),
  fc.tuple(fc.string({ maxLength: 20 }), controlChar, fc.string({ maxLength: 20 })).map(([a, c, b]) => JSON.stringify(`x${a}${c}${b}y`)),
  fc
    .tuple(fc.constantFrom('a', '股', '😀', 'é', 'ß'), fc.integer({ min: 201, max: 700 }))
    .map(([char, count]) => JSON.stringify(char.repeat(count))),
  notAString.map((value) => JSON.stringify(value)),
);
const notAClass = fc.oneof(
  fc.string({ maxLength: 20 }).filter((code) => !CLASSES.includes(code)),
  fc.constantFrom('cs', 'Cs', ' CS', 'CS ', 'XX', '__proto__', 'constructor', 'toString'),
  notAString,
);
const pollutingKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'isAdmin'),
  fc.string({ maxLength: 12 }).filter((key) => !['name', 'amount', 'class'].includes(key)),
);

const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  notAName.map((raw) => jsonPost(withField('name', raw), 'bad name')),
  notAnAmount.map((raw) => jsonPost(withField('amount', raw), 'bad amount')),
  notAClass.map((value) => jsonPost(withField('class', JSON.stringify(value)), 'bad class')),
  fc
    .tuple(pollutingKey, fc.jsonValue({ maxDepth: 2 }))
    .map(([key, value]) =>
      jsonPost(`${JSON.stringify(VALID).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`, 'extra key'),
    ),
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
    .map((value) => jsonPost(JSON.stringify(value), 'not an object')),
  fc
    .string({ minLength: 1, maxLength: 200 })
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((text) => jsonPost(text, 'not JSON')),
  fc.integer({ min: 1, max: JSON.stringify(VALID).length - 1 }).map((cut) => jsonPost(JSON.stringify(VALID).slice(0, cut), 'torn JSON')),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((bytes) => jsonPost(Buffer.concat([Buffer.from('{"name":"'), bytes, Buffer.from('\xff"}', 'latin1')]), 'not UTF-8')),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'text/json',
      'application/xml',
    )
    .map((type) => {
      const body = JSON.stringify(VALID);
      return { kind: 'wrong content type', steps: [postHead(Buffer.byteLength(body), type), body], expect: [415] };
    }),
  fc.integer({ min: 4097, max: 1_000_000 }).map((size) => ({
    kind: 'declared oversized',
    steps: [postHead(size), `{"name":"${'a'.repeat(Math.min(size, 8192) - 9)}`],
    expect: [413],
    mayDrop: true,
  })),
  fc.integer({ min: 4097, max: 20_000 }).map((size) => ({
    kind: 'chunked oversized',
    steps: [
      postHead(undefined).replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n'),
      `${size.toString(16)}\r\n${'x'.repeat(size)}\r\n0\r\n\r\n`,
    ],
    expect: [413],
    mayDrop: true,
  })),
  // GET /certificates lists certificates (the console's list): GET is a wrong method on / only.
  fc
    .tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'), fc.constantFrom('/', '/certificates'))
    .filter(([method, path]) => !(method === 'GET' && path === '/certificates'))
    .map(([method, path]) => {
      const body = JSON.stringify(VALID);
      return {
        kind: 'wrong method',
        steps: [postHead(Buffer.byteLength(body)).replace('POST', method).replace(' / ', ` ${path} `), body],
        expect: [405],
      };
    }),
  fc.constantFrom('/nope', '/certificates/CS-1', '/../etc/passwd', '/%00', '/certificatesX').map((path) => {
    const body = JSON.stringify(VALID);
    return { kind: 'wrong path', steps: [postHead(Buffer.byteLength(body), 'application/json', path), body], expect: [404, 405, 400] };
  }),
  fc.integer({ min: 1, max: JSON.stringify(VALID).length - 1 }).map((sent) => {
    const body = JSON.stringify(VALID);
    return { kind: 'truncated body', steps: [postHead(body.length), body.slice(0, sent)], expect: [400], mayDrop: true, endWrite: true };
  }),
  fc.string({ minLength: 1, maxLength: 100 }).map((line) => ({
    kind: 'garbage request',
    steps: [`${line}\r\n\r\n`],
    expect: [400],
    mayDrop: true,
    endWrite: true,
  })),
);

/** Whether a reply is an acceptable answer to a hostile case; a JSON answer must carry a known code whose status it has. */
function judge(reply: RawReply, hostile: HostileCase): string | undefined {
  if (reply.status === undefined) return hostile.mayDrop ? undefined : `no answer to ${hostile.kind}`;
  if (!hostile.expect.includes(reply.status)) return `${hostile.kind} got ${reply.status}, expected ${hostile.expect.join(' or ')}`;
  if (!/content-type: application\/json/i.test(reply.text)) return undefined; // node's own parser error: no body of ours
  const code = (JSON.parse(reply.body) as { error?: { code?: string } }).error?.code;
  if (!ERROR_CODES.includes(code as ErrorCode) || STATUS_OF[code as ErrorCode] !== reply.status)
    return `${hostile.kind} got ${reply.status} ${code}`;
  return undefined;
}

describe('hostile input against the running service', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ KAFKA_TOPIC: uniqueTopic('hostile'), SHARE_CLASSES: 'CS=1000000000,PS=1000000000' });
  });
  afterAll(async () => {
    await service.stop();
  });

  it(
    `answers ${CASES} generated hostile requests with 4xx only, stays up, and consumes no number`,
    async () => {
      const started = Date.now();
      // Slow-loris senders trickle a valid body for longer than the body timeout, alongside the fuzzing.
      const body = JSON.stringify(VALID);
      const slow = Array.from({ length: SLOW_SENDERS }, () =>
        rawRequest(service.port, [postHead(body.length), ...[...body.slice(0, 24)].flatMap((char) => [char, { pauseMs: 500 }])], {
          timeoutMs: 30_000,
        }),
      );

      expect((await issue(service.url, 'CS', 1)).body.id).toBe('CS-1');
      const kinds: Record<string, number> = {};
      for (let round = 1; round <= ROUNDS; round++) {
        await fc.assert(
          fc.asyncProperty(hostileCase, async (hostile) => {
            kinds[hostile.kind] = (kinds[hostile.kind] ?? 0) + 1;
            const verdict = judge(await rawRequest(service.port, hostile.steps, { endWrite: hostile.endWrite ?? false }), hostile);
            if (verdict !== undefined) throw new Error(verdict);
          }),
          { numRuns: Math.ceil(CASES / ROUNDS) },
        );
        expect(service.child.exitCode).toBeNull();
        expect((await issue(service.url, 'CS', 1)).body.id).toBe(`CS-${round + 1}`);
      }

      const slowReplies = await Promise.all(slow);
      expect(slowReplies.map((reply) => reply.status)).toEqual(Array(SLOW_SENDERS).fill(408));
      expect((await issue(service.url, 'CS', 1)).body.id).toBe(`CS-${ROUNDS + 2}`);
      console.log(
        `[hostile] ${Object.values(kinds).reduce((a, b) => a + b, 0)} generated requests ${JSON.stringify(kinds)} + ${SLOW_SENDERS} slow senders (408): ` +
          `all 4xx, service up, numbering unbroken, in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    Math.max(120_000, CASES * 50),
  );

  it('refuses the names of issue 31 (bidi overrides and isolates, zero-width characters, a Cyrillic А) with 400 invalid_name, consuming no number, so no page or PDF can show one', async () => {
    for (const name of DECEIVING_NAMES) {
      const reply = await issue(service.url, 'PS', 1, name);
      expect(reply.status, JSON.stringify(name)).toBe(400);
      expect(reply.body.error, JSON.stringify(name)).toMatchObject({ code: 'invalid_name' });
    }
    const accepted = await issue(service.url, 'PS', 1, 'Alice');
    expect(accepted.body).toMatchObject({ id: 'PS-1', name: 'Alice' });
  });
});
