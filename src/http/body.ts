import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { CertificateError } from '../core/errors.js';

export interface BodyLimits {
  /** Largest accepted body in bytes. */
  readonly maxBytes: number;
  /** A body that has not fully arrived after this long (give or take 0.1 s) is refused (slow-loris senders). */
  readonly timeoutMs: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function tooLarge(limit: number): CertificateError {
  return new CertificateError('payload_too_large', `Expected a body of at most ${limit} bytes`, { details: { limit } });
}

/**
 * Bodies still arriving, each with the moment it must have arrived by and what to do then. One
 * timer sweeps them all: arming and clearing a timer per request cost a measurable share of a
 * request's CPU, and a body usually arrives within the same turn as its headers.
 */
const arriving = new Map<() => void, number>();
const SWEEP_MS = 100;
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const [expire, deadline] of arriving) if (deadline <= now) expire();
  if (arriving.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function expireAt(deadline: number, expire: () => void): void {
  arriving.set(expire, deadline);
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
}

function readRaw(ctx: Context, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = ctx.req;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    // Listeners stay on a body read in full: nothing follows its end, and taking four off per
    // request showed in profiles. A client that aborts makes the request emit 'error'.
    const finish = (error?: CertificateError): void => {
      if (settled) return;
      settled = true;
      arriving.delete(expire);
      if (error) {
        // Stop reading, answer now, and drop the connection rather than drain a hostile body.
        request.off('data', onData);
        ctx.set('Connection', 'close');
        request.pause();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
      }
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBytes) finish(tooLarge(limits.maxBytes));
      else chunks.push(chunk);
    };
    const expire = (): void => finish(new CertificateError('request_timeout', `Expected the whole body within ${limits.timeoutMs} ms`));
    expireAt(Date.now() + limits.timeoutMs, expire);
    request
      .on('data', onData)
      .on('end', () => finish())
      .on('error', () => finish(new CertificateError('invalid_body', 'The request body could not be read')));
  });
}

/**
 * The body if it has arrived whole, else undefined. A small request usually comes in one segment:
 * the parser announces the request (and Koa runs the middleware up to its first wait) before it
 * parses the body in the same segment, so one microtask later the declared length lies buffered in
 * the stream, and taking it needs no listeners, no promise and no timeout: ~9% of a request's CPU
 * at 20 connections (docs/benchmark.md, "The service beside durable Koa").
 */
function buffered(request: IncomingMessage, declared: number | undefined): Buffer | undefined {
  if (declared === undefined || request.readableLength !== declared || request.readableFlowing === true) return undefined;
  return declared === 0 ? Buffer.alloc(0) : (request.read() as Buffer);
}

/**
 * Reads a JSON request body: content type first (415), declared and actual size (413), then
 * strict UTF-8 and JSON (400). Nothing here can throw anything but a CertificateError.
 */
export async function readJsonBody(ctx: Context, limits: BodyLimits): Promise<unknown> {
  return parseJson(await readJsonBytes(ctx, limits));
}

/** A JSON request body's bytes, unparsed (to check a signature over them first): content type (415) and size (413). */
export async function readJsonBytes(ctx: Context, limits: BodyLimits): Promise<Buffer> {
  // The plain header skips type-is's parsing, a measurable share of a request's CPU; anything else gets the full rules.
  if (ctx.get('Content-Type') !== 'application/json' && !ctx.is('application/json')) {
    throw new CertificateError(
      'unsupported_media_type',
      `Expected Content-Type application/json, got ${JSON.stringify(ctx.get('Content-Type') || 'none')}`,
    );
  }
  return readBodyBytes(ctx, limits);
}

/** A request body's bytes, whatever its type, within the limits: declared and actual size (413), arrival time (408). */
export async function readBodyBytes(ctx: Context, limits: BodyLimits): Promise<Buffer> {
  const declared = ctx.request.length;
  if ((declared ?? 0) > limits.maxBytes) throw tooLarge(limits.maxBytes);
  // One microtask, for the parser to finish the segment the headers came in (see buffered()).
  await Promise.resolve();
  return buffered(ctx.req, declared) ?? (await readRaw(ctx, limits));
}

/** Strict UTF-8, then JSON (400 otherwise). */
export function parseJson(raw: Buffer): unknown {
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new CertificateError('invalid_json', 'Expected a UTF-8 encoded JSON body');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CertificateError('invalid_json', `Expected a JSON body: ${(error as Error).message}`);
  }
}
