import type Router from '@koa/router';
import { testPrinter } from '../support/settings.js';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { createApp } from '../../src/http/app.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../src/core/certificate.js';
import { apiDocument } from '../../src/http/openapi.js';
import { STATUS_OF } from '../../src/http/status.js';
import { useApp } from '../support/app.js';

const app = useApp('openapi', [
  { code: 'CS', authorized: 100 },
  { code: 'PSA', authorized: 50 },
]);
const OPENAPI = apiDocument([
  { code: 'CS', authorized: 100 },
  { code: 'PSA', authorized: 50 },
]);

type Operation = { responses: Record<string, unknown> };

/** Every METHOD path the router of the fully wired app answers, in OpenAPI's `{param}` spelling. */
function routerRoutes(): string[] {
  const koa = createApp({
    issuer: app().node,
    metrics: app().metrics,
    logSample: 0,
    paper: testPrinter(),
    authenticator: new Authenticator({}),
  });
  // router.routes() returns its dispatch middleware with the router attached.
  const router = koa.middleware.map((middleware) => (middleware as { router?: Router }).router).find((found) => found !== undefined)!;
  return router.stack.flatMap((layer) =>
    layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
  );
}

function documented(): Map<string, Operation> {
  const paths = OPENAPI.paths as Record<string, Record<string, Operation>>;
  return new Map(
    Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation]),
    ),
  );
}

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document', async () => {
    const response = await fetch(`${app().url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(OPENAPI)));
    expect(OPENAPI.openapi).toBe('3.1.0');
  });

  it('describes every route the router has, and no route it lacks', () => {
    const routes = routerRoutes();
    expect(routes).toContain('GET /metrics');
    expect([...documented().keys()].sort()).toEqual([...new Set(routes)].sort());
  });

  it('describes every status the server can answer', () => {
    const described = new Set([
      ...[...documented().values()].flatMap((operation) => Object.keys(operation.responses)),
      ...Object.keys(OPENAPI['x-any-path-responses']),
    ]);
    const answered = new Set([200, 201, 304, ...Object.values(STATUS_OF)].map(String));
    expect([...answered].filter((status) => !described.has(status))).toEqual([]);
  });

  it('lists every error code in the error schema', () => {
    expect([...OPENAPI.components.schemas.Error.properties.error.properties.code.enum].sort()).toEqual(Object.keys(STATUS_OF).sort());
  });

  it('documents the Idempotency-Key header with the rule the server applies, Idempotent-Replayed on 201 and idempotency_key_reused as 422', () => {
    const post = documented().get('POST /certificates') as Operation & {
      parameters: Array<{ name: string; in: string; schema: { pattern: string; maxLength: number } }>;
      responses: Record<string, { headers?: Record<string, unknown>; description: string }>;
    };
    expect(post.parameters).toContainEqual(
      expect.objectContaining({
        name: 'Idempotency-Key',
        in: 'header',
        schema: expect.objectContaining({ pattern: IDEMPOTENCY_KEY_PATTERN, maxLength: 255 }),
      }),
    );
    expect(Object.keys(post.responses['201']!.headers!)).toContain('Idempotent-Replayed');
    expect(post.responses['422']!.description).toContain('idempotency_key_reused');
    expect(STATUS_OF.idempotency_key_reused).toBe(422);
    expect(STATUS_OF.invalid_idempotency_key).toBe(400);
  });

  it('names the configured classes, and only them, wherever a class or an id is read', () => {
    const schemas = OPENAPI.components.schemas;
    expect(schemas.IssueRequest.properties.class.enum).toEqual(['CS', 'PSA']);
    expect(schemas.IssueRequest.properties.amount.maximum).toBe(100);
    const get = documented().get('GET /certificates/{id}') as unknown as { parameters: Array<{ schema: { pattern: string } }> };
    const id = new RegExp(get.parameters[0]!.schema.pattern);
    expect(['CS-1', 'PSA-42', 'CS-999999999999999'].filter((text) => !id.test(text))).toEqual([]);
    expect(['PS-1', 'CS-0', 'CS-01', 'XCS-1', 'CS-1000000000000000', 'cs-1'].filter((text) => id.test(text))).toEqual([]);
  });

  it('documents the representations of a certificate and the verification of a digest', () => {
    const get = documented().get('GET /certificates/{id}') as Operation & { responses: Record<string, { content?: object }> };
    expect(Object.keys(get.responses['200']!.content!)).toEqual(['application/json', 'application/pdf', 'text/html']);
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['304', '404', '406', '429']));
    const verify = documented().get('GET /certificates/{id}/verify') as Operation & {
      parameters: Array<{ name: string; required: boolean }>;
    };
    expect(verify.parameters.map(({ name, required }) => [name, required])).toEqual([
      ['id', true],
      ['digest', true],
    ]);
  });
});
