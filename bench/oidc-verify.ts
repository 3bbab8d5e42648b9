/**
 * The cost of checking an OpenID Connect access token, which every request bearing one pays: a real
 * provider process's RS256 token verified over and over, its keys already fetched, once with the
 * signature checked every time and once as the service runs (a token verified is remembered a minute).
 * Run: npx tsx bench/oidc-verify.ts [N]   (default 20,000 a round; five rounds, the median round's figure)
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_OIDC_TIMING, startOidcVerifier, type OidcTiming } from '../src/auth/oidc.js';
import { createLogger } from '../src/monitoring/logger.js';
import { startOidcProvider, TEST_AUDIENCE } from '../test/support/oidc-provider.js';

const count = Number(process.argv[2] ?? 20_000);
const provider = await startOidcProvider();

/** Microseconds a verification: min, median and max of five rounds. */
async function measure(timing: OidcTiming, token: string): Promise<[number, number, number]> {
  const settings = { issuer: provider.issuer, audience: TEST_AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 30 };
  const verifier = startOidcVerifier(settings, createLogger('silent'), timing);
  for (let warm = 0; warm < 2000; warm++) await verifier.verify(token);
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let done = 0; done < count; done++) await verifier.verify(token);
    rounds.push(((performance.now() - start) * 1000) / count);
  }
  rounds.sort((a, b) => a - b);
  return [rounds[0]!, rounds[2]!, rounds[4]!];
}

try {
  const token = await provider.token('issuer');
  const format = ([min, median, max]: [number, number, number]) =>
    `median ${median.toFixed(2)} µs a token (min ${min.toFixed(2)}, max ${max.toFixed(2)}), ${Math.round(1e6 / median)} a second on one core`;
  console.log(`${count} verifications a round, 5 rounds; token ${token.length} bytes, RS256 2048-bit`);
  console.log(`signature checked every time: ${format(await measure({ ...DEFAULT_OIDC_TIMING, verifiedTokenMs: 0 }, token))}`);
  console.log(`as the service runs (remembered): ${format(await measure(DEFAULT_OIDC_TIMING, token))}`);
} finally {
  await provider.stop();
}
