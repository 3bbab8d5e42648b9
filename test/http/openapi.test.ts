import type Router from '@koa/router';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
    ocfExport: () => Promise.reject(new Error('not called: the route is listed only')),
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

  it('names the configured classes, and only them, wherever a class or an id is read, and bounds an amount only as the server does', () => {
    const schemas = OPENAPI.components.schemas;
    expect(schemas.IssueRequest.properties.class.enum).toEqual(['CS', 'PSA']);
    // Whatever the classes authorize today: an adjustment may authorize more tomorrow.
    expect(schemas.IssueRequest.properties.amount.maximum).toBe(Number.MAX_SAFE_INTEGER);
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

  it('names the role every operation needs in its security, and leaves only the public ones open', () => {
    const required = new Map(
      [...documented()].map(([route, operation]) => {
        const { security } = operation as Operation & { security: Array<Record<string, string[]>> };
        return [
          route,
          security.length === 0 ? 'public' : [...new Set(security.flatMap((scheme) => Object.values(scheme).flat()))].join(' '),
        ];
      }),
    );
    expect(Object.fromEntries(required)).toEqual({
      'POST /': 'certificates:issue',
      'POST /certificates': 'certificates:issue',
      'GET /certificates/{id}': 'certificates:read',
      'GET /certificates/{id}/receipt': 'certificates:read',
      'GET /certificates/{id}/events': 'certificates:read',
      'GET /holders/{holder}': 'certificates:read',
      'POST /certificates/{id}/cancellation': 'certificates:cancel',
      'POST /certificates/{id}/transfer': 'certificates:transfer',
      'POST /certificates/{id}/reissuance': 'certificates:issue',
      'POST /certificates/{id}/repurchase': 'certificates:cancel',
      'POST /certificates/{id}/stop': 'certificates:cancel',
      'POST /classes/{class}/adjustment': 'classes:adjust',
      'POST /legends': 'classes:adjust',
      'GET /certificates/{id}/verify': 'public',
      'GET /ledger/head': 'audit:read',
      'GET /ocf/export': 'audit:read',
      'GET /classes': 'certificates:read',
      'GET /healthz': 'public',
      'GET /readyz': 'ops:read',
      'GET /metrics': 'ops:read',
      'GET /openapi.json': 'public',
      'GET /docs': 'public',
      'GET /docs/{asset}': 'public',
      'GET /.well-known/jwks.json': 'public',
      'GET /verify': 'public',
      'GET /verify.js': 'public',
      'GET /certificates': 'certificates:read',
      'GET /audit/voids': 'audit:read',
      'GET /console/live': 'certificates:read',
      'GET /console': 'public',
      'GET /console/assets/{asset}': 'public',
      'GET /console/login': 'public',
      'GET /console/login.css': 'public',
      'GET /console/session': 'public',
      'POST /console/session': 'public',
      'POST /console/logout': 'public',
      'GET /console/oidc/start': 'public',
      'GET /console/oidc/callback': 'public',
    });
    const withOidc = apiDocument([{ code: 'CS', authorized: 1 }], { oidcIssuer: 'https://id.example.com/' });
    expect(withOidc.components.securitySchemes).toMatchObject({
      apiKey: { type: 'http', scheme: 'bearer' },
      oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration' },
    });
    expect(withOidc.paths['/classes'].get.security).toEqual([
      { apiKey: ['certificates:read'] },
      { oidc: ['certificates:read'] },
      { consoleSession: ['certificates:read'] },
    ]);
  });

  it('passes redocly lint with its recommended rules: no error and no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(apiDocument([{ code: 'CS', authorized: 100 }], { oidcIssuer: 'https://id.example.com' })));
    const { stdout, stderr } = await promisify(execFile)(
      'node_modules/.bin/redocly',
      ['lint', '--extends', 'recommended', '--format', 'stylish', file],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const output = `${stdout}\n${stderr}`;
    expect(output).toContain('Woohoo! Your API description is valid.');
    expect(output).not.toMatch(/warning/i);
  });
});
