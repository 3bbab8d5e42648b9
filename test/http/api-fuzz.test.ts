import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueTopic } from '../support/broker.js';
import { AUTHORIZATION } from '../support/credentials.js';
import { startService, type RunningService } from '../support/service.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Long enough for every phase (examples, coverage, fuzzing, stateful) to run; FUZZ_SECONDS for a longer hunt.
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 45);

let service: RunningService;
let schemathesis: string;

beforeAll(async () => {
  // Installs the pinned fuzzer into .fuzz/venv the first time (PyPI), as scripts/kafka installs Kafka.
  schemathesis = (await run('scripts/fuzz/install.sh', { cwd: ROOT, timeout: 300_000 })).stdout.trim();
  service = await startService({ KAFKA_TOPIC: uniqueTopic('fuzz') });
}, 360_000);

afterAll(async () => {
  await service?.stop();
});

describe('the API document is exactly the server (schemathesis against the real service)', () => {
  it(
    'finds no schema-valid request refused, no schema-invalid request taken, no undocumented status, header or body, and no 5xx',
    async () => {
      // As the test admin: with credentials, every operation is open to it.
      const args = [
        ...['--config-file', 'scripts/fuzz/schemathesis.toml', 'run', `${service.url}/openapi.json`, '--checks', 'all'],
        ...['--header', `Authorization: ${AUTHORIZATION.authorization}`],
      ];
      // One worker: Python 3.11 before 3.11.9 can fail ast.parse in concurrent threads ("AST constructor
      // recursion depth mismatch"), which hypothesis calls to describe strategies. Health checks judge
      // how fast data can be generated, not the API: on a loaded machine they fail runs for nothing.
      const options = ['--max-time', String(SECONDS), '--workers', '1', '--suppress-health-check', 'all'];
      const result = await run(schemathesis, [...args, ...options], {
        cwd: ROOT,
        timeout: (SECONDS + 120) * 1000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1' },
      }).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? String(error), failed: error.code }));
      const output = result.stdout;
      // What schemathesis found, in its own words, so that a failing run says what to fix.
      const problems = /={3,} (?:FAILURES|ERRORS) ={3,}[\s\S]*?(?=={3,} (?:WARNINGS|SUMMARY) ={3,})/.exec(output)?.[0] ?? '';
      expect(problems).toBe('');
      expect('failed' in result ? `exit ${String(result.failed)}: ${output.slice(-2000)}` : 'exit 0').toBe('exit 0');
      const generated = Number(/Test cases:\s+(\d+) generated, \1 passed/.exec(output)?.[1]);
      expect(generated).toBeGreaterThan(500);
    },
    (SECONDS + 180) * 1000,
  );
});
