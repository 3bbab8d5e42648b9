/**
 * CPU per request of what the edge adds to every answer: the rate limiter's take, its two RateLimit
 * fields and the two security headers, set on a real ServerResponse, in CPU time (process.cpuUsage,
 * so other processes on the machine weigh less than in a throughput run).
 * Run: npx tsx bench/edge-cost.ts
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { DEFAULTS } from '../src/config.js';
import { MAX_RATE_LIMITED_CALLERS } from '../src/http/rate-limit.js';
import { TokenBuckets } from '../src/http/token-buckets.js';

const COUNT = 1_000_000;
const response = new ServerResponse(new IncomingMessage(new Socket()));
const limit = { perSecond: DEFAULTS.rateLimit.perSecond, burst: 2 * DEFAULTS.rateLimit.perSecond };
const buckets = new TokenBuckets(limit, MAX_RATE_LIMITED_CALLERS);
const policy = `default;q=${limit.burst};w=2`;

/** CPU nanoseconds per request of `work`. */
function cost(work: () => void): number {
  const start = process.cpuUsage();
  for (let index = 0; index < COUNT; index++) work();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / COUNT;
}

const take = (): void => void buckets.take('ip:127.0.0.1');
const rateLimitFields = (): void => {
  const taken = buckets.take('ip:127.0.0.1');
  response.setHeader('RateLimit-Policy', policy);
  response.setHeader('RateLimit', `default;r=${taken.remaining};t=${taken.fullInSeconds}`);
};
const securityHeaders = (): void => {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
};
for (let round = 1; round <= 3; round++) {
  console.log(
    `round ${round}: take ${cost(take).toFixed(0)} ns, take + RateLimit fields ${cost(rateLimitFields).toFixed(0)} ns, security headers ${cost(securityHeaders).toFixed(0)} ns a request`,
  );
}
