import { CERTIFICATE_NUMBER_PATTERN, IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY_LENGTH } from '../core/certificate.js';
import { KEY_ID_PATTERN } from '../core/seal.js';
import { CLASS_CODE_PATTERN, type ShareClassConfig } from '../core/share-class.js';
import { ERROR_CODES } from '../core/errors.js';
import { EVENT_TYPES, MAX_LEGEND_TEXT, type EventType } from '../core/events.js';
import type { Role } from '../core/principal.js';
import {
  CURRENCY_PATTERN,
  DATE_PATTERN,
  DECIMAL_PATTERN,
  ITEM_ID_PATTERN,
  MAX_LEGENDS,
  MAX_SHORT_TEXT,
  SHORT_TEXT_PATTERN,
} from '../core/terms.js';
import { DIGEST_PATTERN } from '../paper/digest.js';
import { DEFAULT_PAGE_SIZE, MAX_NAME_SCAN, MAX_PAGE_SIZE } from '../core/certificate-page.js';
import { MAX_VOID_NOTES } from '../core/log-state.js';
import { MAX_SEARCH_LENGTH } from './certificate-list.js';
import { DOCS_ASSETS } from './docs.js';
import { EVENT_MAX_BYTES, EVENT_ROLES } from './events.js';
import { JWKS_MAX_AGE_SECONDS } from './jwks.js';
import { MAX_TRANSFEREES } from './validate-events.js';
import { MIXED_SCRIPT_PATTERN, NAME_PATTERN } from './validate.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });
const retryable = (description: string) => ({
  ...error(description),
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
});
const ok = (description: string, schema: object) => ({ description, content: json(schema) });
const header = (description: string, schema: object = { type: 'string' }) => ({ description, schema });
const html = { 'text/html': { schema: { type: 'string' } } };
const securityPolicy = { 'Content-Security-Policy': header('What the page may load and run') };
const rateLimited = {
  ...retryable(
    'too_many_requests: this caller (its principal, or its address for public routes) sent more than RATE_LIMIT_PER_SECOND (bursts of RATE_LIMIT_BURST); nothing was done',
  ),
  headers: {
    'Retry-After': header('Seconds until a request will be taken again', { type: 'integer' }),
    RateLimit: header('The remaining quota (draft-ietf-httpapi-ratelimit-headers)'),
    'RateLimit-Policy': header('The quota policy'),
  },
};
/** Public operations: no credentials asked, and none needed. */
const open = { security: [] };
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };

export interface ApiDocumentOptions {
  /** OIDC_ISSUER: bearer tokens from this identity provider are taken beside API keys. */
  readonly oidcIssuer?: string | undefined;
  /** PUBLIC_URL: where clients reach the service; relative to the document otherwise. */
  readonly publicUrl?: string | undefined;
}

/** The API document for the configured classes: it says exactly what this server accepts and answers. */
export function apiDocument(classes: readonly ShareClassConfig[], options: ApiDocumentOptions = {}) {
  const codes = classes.map(({ code }) => code);
  const schemes = options.oidcIssuer === undefined ? ['apiKey', 'consoleSession'] : ['apiKey', 'oidc', 'consoleSession'];
  // OpenAPI 3.1 lets a requirement of any scheme list role names: the role, through either scheme.
  const protectedBy = (role: Role) => ({ security: schemes.map((scheme) => ({ [scheme]: [role] })), 'x-required-role': role });
  const refused = (role: Role) => ({
    '401': {
      ...error('unauthenticated: no credentials, or a key or token that is unknown, revoked, expired or badly signed'),
      headers: { 'WWW-Authenticate': header('Bearer realm="stock-certificates", with error="invalid_token" when a token was sent') },
    },
    '403': error(
      `insufficient_scope: the credentials are valid but lack the role ${role} (or admin); details.required names it. csrf_failed: an unsafe request authenticated by the console's session cookie without its X-CSRF-Token or from another Origin`,
    ),
  });
  const consolePage = (operationId: string, summary: string, extra: Record<string, unknown> = {}) => ({
    get: {
      ...open,
      operationId,
      tags: ['Console'],
      summary,
      responses: { '200': { description: 'The page', headers: securityPolicy, content: html }, '429': rateLimited, ...extra },
    },
  });
  const signInFailed = {
    description: 'Sent to the sign-in page, naming why: /console/login?error=<code>',
    headers: { Location: header('Where to') },
  };
  const issueRequestProperties = {
    name: {
      type: 'string',
      pattern: NAME_PATTERN,
      not: { pattern: MIXED_SCRIPT_PATTERN },
      description:
        'The holder. Trimmed and normalized to NFC; then 1 to 200 characters (so at most 800 bytes of UTF-8), no control characters, no format characters (bidi controls, zero-width characters; also those beyond the BMP, which the pattern cannot name), no unpaired surrogates, and no word mixing Latin, Greek and Cyrillic letters (the `not` pattern)',
      examples: ['Salt Bae'],
    },
    amount: {
      type: 'integer',
      minimum: 1,
      // Not the largest class's authorized shares: an adjustment can raise them while this document stands.
      maximum: Number.MAX_SAFE_INTEGER,
      description: "Shares; more than the class's remaining shares is refused 409 insufficient_shares",
      examples: [10],
    },
    class: { type: 'string', enum: codes, description: 'A configured share class code' },
  };
  const idParameter = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: `^(${codes.join('|')})-(${CERTIFICATE_NUMBER_PATTERN})$` },
    examples: { first: { value: `${codes[0]}-1` } },
  };
  const notFound = error('not_found: no certificate with this id in the log (never issued, or a void record)');
  const idempotencyKey = (description: string) => ({
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description,
    schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN },
    examples: { uuid: { value: '0b5f3b8e-4a8e-4c7b-9a51-5d7c1e2f9a10' } },
  });
  const replayedHeader = {
    description: 'Present, and true, when an earlier request with the same Idempotency-Key had this done',
    schema: { const: 'true' },
  };
  /** An event's operation (src/http/events.ts): its role, body and refusals; the rest every event shares. */
  const eventOperation = (
    type: EventType,
    summary: string,
    description: string,
    target: object | undefined,
    body: object,
    refusals: Readonly<Partial<Record<'404' | '409' | '422', string>>>,
  ) => ({
    ...protectedBy(EVENT_ROLES[type]),
    operationId: type,
    tags: ['Events'],
    summary,
    description: `${description} Any instance takes it: a follower forwards it to the elected writer. Answered 201 only after the log holds the event and the certificates it issued, which take the class's next numbers.`,
    parameters: [
      ...(target === undefined ? [] : [target]),
      idempotencyKey(
        'Makes retries exactly-once: every request of this caller with this key gets the one event done for it (201, same body, Idempotent-Replayed: true), while the key is remembered (IDEMPOTENCY_WINDOW_MS, IDEMPOTENCY_MAX_KEYS).',
      ),
    ],
    requestBody: { required: true, content: json(body) },
    responses: {
      '201': {
        description: 'Done and durably committed, or (with Idempotent-Replayed) done earlier for this Idempotency-Key',
        headers: { 'Idempotent-Replayed': replayedHeader },
        content: json({ $ref: '#/components/schemas/EventDone' }),
      },
      '400': error(
        'invalid_json, invalid_body, invalid_name, invalid_amount, invalid_class, invalid_certificate_id, unknown_class or invalid_idempotency_key',
      ),
      '408': retryable('request_timeout: the body did not arrive in time'),
      ...refused(EVENT_ROLES[type]),
      '413': error(`payload_too_large: more than ${EVENT_MAX_BYTES} bytes`),
      '415': error('unsupported_media_type: Content-Type must be application/json'),
      ...Object.fromEntries(
        Object.entries({ ...refusals, '422': [keyReusedText, refusals['422']].filter(Boolean).join('. ') }).map(([status, text]) => [
          status,
          error(`${text}; nothing was done and no number was consumed`),
        ]),
      ),
      '429': rateLimited,
      '503': retryable(
        'overloaded, shutting_down or no_writer: nothing was done; log_unavailable or writer_unreachable: the event may or may not have been committed; a retry with the same Idempotency-Key gets it exactly once',
      ),
    },
  });
  const keyReusedText =
    'idempotency_key_reused: this caller first used the Idempotency-Key for another request (never saying which; details: idempotencyKey)';
  const onCertificate = {
    '404': 'unknown_certificate: the class has no such certificate',
    '409':
      'certificate_not_outstanding: it was cancelled, transferred or reissued already; certificate_stopped: a stop is on it, and only a reissuance may replace it',
  };
  const reason = { $ref: '#/components/schemas/Reason' };
  const quantity = {
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Shares leaving the holder; all of them when absent. The rest go back to the holder on a balance certificate',
  };
  const classParameter = { name: 'class', in: 'path', required: true, schema: { type: 'string', enum: codes } };
  const logBehind = retryable('log_unavailable: the number is past what this instance has read, and the log cannot be read now');

  const issue = {
    ...protectedBy('certificates:issue'),
    summary: 'Issue the next certificate of a class',
    description:
      'Answered 201 only after Kafka acknowledged the certificate (acks=all) and the log holds it as a certificate. Any instance takes it: a follower forwards it to the elected writer.',
    parameters: [
      idempotencyKey(
        "Makes retries exactly-once: every request with this key and the same class, name and amount gets the one certificate issued for it (201, same body, Idempotent-Replayed: true), on any instance, after restarts and failover, while the key is remembered (IDEMPOTENCY_WINDOW_MS, default 24 h, and the newest IDEMPOTENCY_MAX_KEYS keys, default 1,000,000). Concurrent requests with one key wait for the first one's outcome. A key older than the window is forgotten: a request with it is issued as new. Keys are scoped per caller: another caller's request with the same key neither replays nor refuses yours.",
      ),
    ],
    requestBody: { required: true, content: json({ $ref: '#/components/schemas/IssueRequest' }) },
    responses: {
      '201': {
        description:
          'Issued and durably committed, or (with Idempotent-Replayed) issued earlier for this Idempotency-Key; with its receipt when its write was signed',
        headers: {
          Location: { description: '/certificates/{id}', schema: { type: 'string' } },
          'Idempotent-Replayed': {
            description: 'Present, and true, when an earlier request with the same Idempotency-Key had this certificate issued',
            schema: { const: 'true' },
          },
        },
        content: json({ $ref: '#/components/schemas/IssuedCertificate' }),
      },
      '400': error('invalid_json, invalid_body, invalid_name, invalid_amount, invalid_class, unknown_class or invalid_idempotency_key'),
      '408': retryable('request_timeout: the body did not arrive in time'),
      ...refused('certificates:issue'),
      '409': error('insufficient_shares: more shares than the class has left; no number was consumed'),
      '413': error('payload_too_large'),
      '415': error('unsupported_media_type: Content-Type must be application/json'),
      '422': error(
        'idempotency_key_reused: this caller first used the Idempotency-Key for another class, name or amount (never saying which); nothing was issued (details: idempotencyKey). unknown_legend: terms.legends names a legend template not defined (POST /legends); nothing was issued',
      ),
      '429': rateLimited,
      '503': retryable(
        'overloaded (MAILBOX_LIMIT or FORWARD_QUEUE_LIMIT requests already wait), shutting_down or no_writer: nothing was issued; log_unavailable or writer_unreachable: the certificate may or may not have been committed; a retry with the same Idempotency-Key gets it exactly once',
      ),
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Stock certificates',
      version: '0.1.0',
      description:
        'Issues numbered stock certificates per share class (CS-1, CS-2, …), durably, with no gaps and no duplicates. Every operation that issues or reads certificates needs credentials with a role (docs/security.md).',
      license: {
        name: 'UNLICENSED: proprietary, all rights reserved',
        url: 'https://docs.npmjs.com/cli/configuring-npm/package-json#license',
      },
    },
    servers: [{ url: options.publicUrl ?? '/', description: 'This service' }],
    paths: {
      '/': { post: { ...issue, operationId: 'issue', tags: ['Certificates'] } },
      '/certificates/{id}/cancellation': {
        post: eventOperation(
          'cancellation',
          'Cancel a certificate, whole or in part',
          'The certificate is cancelled; the shares not cancelled, if any, go back to its holder on a balance certificate.',
          idParameter,
          { type: 'object', additionalProperties: false, properties: { quantity, reason } },
          { ...onCertificate, '422': 'shares_not_conserved: more shares than the certificate holds' },
        ),
      },
      '/certificates/{id}/transfer': {
        post: eventOperation(
          'transfer',
          'Transfer shares of a certificate to new holders',
          'The certificate is cancelled; each transferee gets a new certificate, and the shares not transferred go back to the holder on a balance certificate (with its terms).',
          idParameter,
          {
            type: 'object',
            additionalProperties: false,
            required: ['transferees'],
            properties: {
              transferees: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_TRANSFEREES,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name', 'amount'],
                  properties: {
                    name: issueRequestProperties.name,
                    amount: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
                    terms: { $ref: '#/components/schemas/Terms' },
                  },
                },
              },
              reason,
            },
          },
          {
            ...onCertificate,
            '422':
              "shares_not_conserved: the transferees take more shares than the certificate holds; unknown_legend: a transferee's terms name a legend not defined",
          },
        ),
      },
      '/certificates/{id}/reissuance': {
        post: eventOperation(
          'reissuance',
          'Reissue a certificate: a replacement for a lost or stolen one, or with other legends',
          'The certificate is superseded by a new one to the same holder for all its shares, with the terms given (a legend removed), else its own. The only event a stopped certificate takes.',
          idParameter,
          { type: 'object', additionalProperties: false, properties: { terms: { $ref: '#/components/schemas/Terms' }, reason } },
          {
            '404': onCertificate['404'],
            '409': 'certificate_not_outstanding: it was cancelled, transferred or reissued already',
            '422': 'unknown_legend: the terms name a legend not defined',
          },
        ),
      },
      '/certificates/{id}/repurchase': {
        post: eventOperation(
          'repurchase',
          'Record the company buying shares of a certificate back',
          'As a cancellation, with the price per share paid.',
          idParameter,
          { type: 'object', additionalProperties: false, properties: { quantity, price: { $ref: '#/components/schemas/Money' }, reason } },
          { ...onCertificate, '422': 'shares_not_conserved: more shares than the certificate holds' },
        ),
      },
      '/certificates/{id}/stop': {
        post: eventOperation(
          'stop',
          'Place a stop on a certificate reported lost or stolen',
          'The certificate may then only be reissued.',
          idParameter,
          { type: 'object', additionalProperties: false, properties: { reason } },
          onCertificate,
        ),
      },
      '/classes/{class}/adjustment': {
        post: eventOperation(
          'adjustment',
          "Set a class's authorized shares, as the board approved",
          'From this event on, the class may have at most `authorized` shares outstanding.',
          classParameter,
          {
            type: 'object',
            additionalProperties: false,
            required: ['authorized', 'approvedOn'],
            properties: {
              authorized: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
              approvedOn: { type: 'string', format: 'date', pattern: DATE_PATTERN, description: "The board's approval date" },
              reason,
            },
          },
          { '409': 'below_outstanding: the class has more shares outstanding than that' },
        ),
      },
      '/legends': {
        post: {
          ...eventOperation(
            'legend',
            'Define a restrictive legend template certificates of a class may bear',
            'Certificates name it by its id in `terms.legends`, at issuance or by reissuance.',
            undefined,
            {
              type: 'object',
              additionalProperties: false,
              required: ['class', 'id', 'name', 'text'],
              properties: {
                class: { type: 'string', enum: codes },
                id: { type: 'string', pattern: ITEM_ID_PATTERN },
                name: { type: 'string', minLength: 1, maxLength: MAX_SHORT_TEXT, pattern: SHORT_TEXT_PATTERN },
                text: { type: 'string', minLength: 1, maxLength: MAX_LEGEND_TEXT },
              },
            },
            { '409': 'duplicate_legend: a template with this id is defined already' },
          ),
        },
      },
      '/holders/{holder}': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'getHolder',
          tags: ['Events'],
          summary: "A stakeholder's position: every certificate whose terms name it as holder, and its outstanding shares per class",
          parameters: [{ name: 'holder', in: 'path', required: true, schema: { type: 'string', pattern: ITEM_ID_PATTERN } }],
          responses: {
            '200': ok('The position', {
              type: 'object',
              required: ['holder', 'positions', 'certificates'],
              properties: {
                holder: { type: 'string' },
                positions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['class', 'outstanding', 'certificatesOutstanding'],
                    properties: {
                      class: { type: 'string' },
                      outstanding: { type: 'integer', minimum: 0 },
                      certificatesOutstanding: { type: 'integer', minimum: 0 },
                    },
                  },
                },
                certificates: {
                  type: 'array',
                  items: { allOf: [{ $ref: '#/components/schemas/Certificate' }, { $ref: '#/components/schemas/Standing' }] },
                },
              },
            }),
            '400': error('invalid_body: not a holder id'),
            '404': error('not_found: no certificate names this holder'),
            ...refused('certificates:read'),
            '429': rateLimited,
          },
        },
      },
      '/certificates/{id}/events': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'getCertificateEvents',
          tags: ['Events'],
          summary: 'Where a certificate stands, and the events that issued it and acted on it, in log order',
          parameters: [idParameter],
          responses: {
            '200': ok('Its status and history', {
              allOf: [
                { $ref: '#/components/schemas/Standing' },
                {
                  type: 'object',
                  required: ['certificate', 'events'],
                  properties: { certificate: { type: 'string' }, events: { type: 'array', items: { $ref: '#/components/schemas/Event' } } },
                },
              ],
            }),
            '400': error('invalid_certificate_id'),
            '404': notFound,
            ...refused('certificates:read'),
            '429': rateLimited,
            '503': logBehind,
          },
        },
      },
      '/certificates': {
        post: { ...issue, operationId: 'issueCertificate', tags: ['Certificates'] },
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'listCertificates',
          tags: ['Certificates'],
          summary: "A page of a class's certificates with where each stands, as this instance has read them",
          description: `By number, newest first unless order=asc; \`next\` is the \`after\` of the following page. \`holder\` keeps the certificates whose terms name that stakeholder; \`q\` finds a certificate by id, else by the start of the holder's name (ASCII letters in any case), comparing at most ${MAX_NAME_SCAN} names a page: fewer items than asked and a \`next\` mean the search stopped there (\`scanned\` says how many it compared).`,
          parameters: [
            { name: 'class', in: 'query', required: true, schema: { type: 'string', enum: codes } },
            { name: 'order', in: 'query', required: false, schema: { type: 'string', enum: ['desc', 'asc'], default: 'desc' } },
            { name: 'after', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 1e15 } },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
            },
            { name: 'holder', in: 'query', required: false, schema: { type: 'string', pattern: ITEM_ID_PATTERN } },
            {
              name: 'q',
              in: 'query',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: MAX_SEARCH_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$' },
            },
          ],
          responses: {
            '200': ok('The page', { $ref: '#/components/schemas/CertificatePage' }),
            '400': error('invalid_class, unknown_class: no such class; invalid_body: a parameter out of its bounds'),
            ...refused('certificates:read'),
            '429': rateLimited,
          },
        },
      },
      '/audit/voids': {
        get: {
          ...protectedBy('audit:read'),
          operationId: 'listVoids',
          tags: ['Audit'],
          summary: 'The void records this instance has seen, newest first, with the validity rule’s reasons',
          description: `How many since this instance started (\`total\`), and the newest ${MAX_VOID_NOTES} of them; those a snapshot restored are counted, not listed. The whole log's verdict is \`npm run audit\` (docs/audit.md).`,
          responses: {
            '200': ok('The void records', { $ref: '#/components/schemas/Voids' }),
            ...refused('audit:read'),
            '429': rateLimited,
          },
        },
      },
      '/console': consolePage('console', 'The console (built by npm run build into dist/console); /console/ too', {
        '503': retryable('not_ready: the console has not been built; the message says how to build it'),
      }),
      '/console/assets/{asset}': {
        get: {
          ...open,
          operationId: 'consoleAsset',
          tags: ['Console'],
          summary: "The console's scripts, styles, fonts and images, named by their content's hash: cached for a year",
          parameters: [
            { name: 'asset', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$' } },
          ],
          responses: {
            '200': { description: 'The file', content: { '*/*': { schema: { type: 'string' } } } },
            '404': error('not_found: no such asset'),
            '429': rateLimited,
          },
        },
      },
      '/console/login': consolePage('consoleLogin', 'The sign-in page: the identity provider, or an API key'),
      '/console/login.css': {
        get: {
          ...open,
          operationId: 'consoleLoginStyle',
          tags: ['Console'],
          summary: "The sign-in page's style",
          responses: { '200': { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } }, '429': rateLimited },
        },
      },
      '/console/session': {
        get: {
          ...open,
          operationId: 'consoleSession',
          tags: ['Console'],
          summary: 'The session of the console cookie: principal, roles, CSRF token, expiry',
          responses: {
            '200': ok('The session', { $ref: '#/components/schemas/Session' }),
            '401': error('unauthenticated: no session cookie, or an expired or unknown one'),
            '429': rateLimited,
          },
        },
        post: {
          ...open,
          operationId: 'consoleSignIn',
          tags: ['Console'],
          summary: 'Signs in to the console with an API key: sets the session cookie',
          description:
            'Origin must be this service. The form answers 303 to /console/ (or to the sign-in page naming the failure); JSON answers the session, or 401.',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/SignIn' } },
              'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/SignIn' } },
            },
          },
          responses: {
            '200': {
              ...ok('Signed in', { $ref: '#/components/schemas/Session' }),
              headers: { 'Set-Cookie': header('__Host-console=…; Path=/; Max-Age=…; HttpOnly; Secure; SameSite=Strict') },
            },
            '303': signInFailed,
            '400': error('invalid_json'),
            '401': error('unauthenticated: the key is unknown, revoked or expired'),
            '403': error('csrf_failed: Origin is not this service'),
            '408': retryable('request_timeout'),
            '413': error('payload_too_large'),
            '415': error('unsupported_media_type'),
            '429': rateLimited,
          },
        },
      },
      '/console/logout': {
        post: {
          ...open,
          operationId: 'consoleSignOut',
          tags: ['Console'],
          summary: 'Signs out: clears the session cookie (with a live session, X-CSRF-Token and Origin are required)',
          responses: {
            '204': { description: 'Signed out', headers: { 'Set-Cookie': header('The session cookie, expired') } },
            '403': error('csrf_failed'),
            '429': rateLimited,
          },
        },
      },
      '/console/oidc/start': {
        get: {
          ...open,
          operationId: 'consoleOidcStart',
          tags: ['Console'],
          summary: "Begins a sign-in at the identity provider (authorization code with PKCE): to the provider's authorization endpoint",
          responses: {
            '200': ok('With Accept: application/json, where to send the browser (the flow cookie is set as for the redirect)', {
              type: 'object',
              required: ['location'],
              properties: { location: { type: 'string', format: 'uri' } },
            }),
            '302': { description: 'To the provider', headers: { Location: header('The authorization request') } },
            '303': signInFailed,
            '404': error('not_found: no identity provider is configured for the console'),
            '429': rateLimited,
          },
        },
      },
      '/console/oidc/callback': consolePage(
        'consoleOidcCallback',
        'Where the provider sends the browser back: opens the session, then to /console/',
        {
          '303': signInFailed,
          '404': error('not_found: no identity provider is configured for the console'),
        },
      ),
      '/console/live': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'consoleLive',
          tags: ['Console'],
          summary: "Server-sent events of the certificates and events this instance's state applies",
          description:
            '`event: certificate` with the certificate as GET /certificates/{id} answers it, `event: lifecycle` with the event as GET /certificates/{id}/events lists it; a comment every 15 s.',
          responses: {
            '200': { description: 'The stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...refused('certificates:read'),
            '429': rateLimited,
            '503': retryable('overloaded: this instance streams to CONSOLE_LIVE_MAX consoles already'),
          },
        },
      },
      '/certificates/{id}': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'getCertificate',
          tags: ['Certificates'],
          summary: 'A certificate as committed to the log: JSON, a printable PDF, or a print-ready HTML page',
          description:
            'Negotiated by Accept: application/json (the default), application/pdf (one page, US Letter landscape) or text/html. The paper shows the company, the class, the holder, the shares in figures and words, the issue date, and a QR code and URL that verify its digest against the log.',
          parameters: [idParameter],
          responses: {
            '200': {
              description: 'The certificate',
              headers: {
                ETag: header(
                  'The certificate digest, where it stands and the representation: it changes once, when an event closes the certificate',
                ),
                'Cache-Control': header("private, no-store: the holder's, for no shared cache"),
                Vary: header('Accept'),
                'Content-Disposition': header('PDF only: inline; filename="{id}.pdf"'),
                'Content-Security-Policy': header('HTML only: the page loads nothing and runs no script'),
              },
              content: {
                ...json({ $ref: '#/components/schemas/Certificate' }),
                'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
                ...html,
              },
            },
            '304': { description: 'Not modified: If-None-Match named the current ETag' },
            '400': error('invalid_certificate_id'),
            '404': notFound,
            ...refused('certificates:read'),
            '406': error('not_acceptable: Accept allows none of application/json, application/pdf, text/html'),
            '429': { ...rateLimited, description: `${rateLimited.description}; or too many PDFs are being rendered` },
            '503': logBehind,
          },
        },
      },
      '/certificates/{id}/receipt': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'getReceipt',
          tags: ['Certificates'],
          summary: "A signed certificate's receipt, read from the log",
          description:
            'The same receipt the 201 that issued it carried: the proof that the certificate is in a write signed by the service, checkable offline with the published public keys (docs/api.md, Receipts).',
          parameters: [idParameter],
          responses: {
            '200': ok('The receipt', { $ref: '#/components/schemas/Receipt' }),
            '400': error('invalid_certificate_id'),
            '404': error(
              'not_found: no certificate with this id in the log; not_signed: the certificate was issued before the log was signed, and has no receipt',
            ),
            ...refused('certificates:read'),
            '429': rateLimited,
            '503': retryable('log_unavailable: the log cannot be read now'),
          },
        },
      },
      '/ledger/head': {
        get: {
          ...protectedBy('audit:read'),
          operationId: 'getLedgerHead',
          tags: ['Audit'],
          summary: "The log's newest signed head, as this instance has read it",
          description:
            'What `npm run audit -- --since-head FILE` reads: save it, and a later audit proves the log only grew since. A follower may trail the writer by the records its tail has not read yet.',
          responses: {
            '200': ok('The signed head', { $ref: '#/components/schemas/SignedHead' }),
            '404': error('not_signed: the log has no signed head yet (nothing was signed)'),
            ...refused('audit:read'),
            '429': rateLimited,
          },
        },
      },
      '/ocf/export': {
        get: {
          ...protectedBy('audit:read'),
          operationId: 'exportOcf',
          tags: ['Audit'],
          summary: 'The whole ledger as an Open Cap Table Format (OCF 1.2.0) package',
          description:
            "A `.ocf.zip`: the manifest (issuer, each file with its MD5), stock classes, stakeholders, stock legend templates and transactions (an issuance per certificate; cancellations, transfers, reissuances, repurchases and authorized-share adjustments), as of the log's end this instance has read (`OCF-As-Of-Offset`). Built by reading the log from its start, one at a time: what `npm run ocf -- import` takes into an empty ledger (docs/ocf.md).",
          responses: {
            '200': {
              description: 'The package',
              headers: {
                'Content-Disposition': header('attachment; filename="{topic}-{offset}.ocf.zip"'),
                'OCF-As-Of-Offset': header('The offset the package is the ledger as of: every record before it', { type: 'integer' }),
              },
              content: { 'application/zip': { schema: { type: 'string', contentMediaType: 'application/zip' } } },
            },
            ...refused('audit:read'),
            '406': error('not_acceptable: Accept does not allow application/zip'),
            '429': rateLimited,
            '503': retryable('overloaded: an export is being built already; log_unavailable: the log cannot be read now'),
          },
        },
      },
      '/certificates/{id}/verify': {
        get: {
          ...open,
          operationId: 'verifyCertificate',
          tags: ['Certificates'],
          summary: 'Whether a digest printed on paper is that of the certificate in the log',
          description:
            'The QR code and the URL on a paper certificate lead here; no credentials needed. Answers 200 either way: for a genuine paper, what the log holds of what the paper shows, so whoever holds it can compare it line by line, and where it stands now (never "genuine" alone for a cancelled, stopped or superseded one: when and by which event, and what replaced it); for a wrong digest or an id never issued, only that it does not match. HTML for a browser (Accept: text/html), JSON otherwise.',
          parameters: [
            idParameter,
            {
              name: 'digest',
              in: 'query',
              required: true,
              description: 'The 16 hex characters printed on the certificate (SHA-256 of the committed record, docs/audit.md)',
              schema: { type: 'string', pattern: DIGEST_PATTERN },
            },
          ],
          responses: {
            '200': {
              description: 'The verdict and the certificate the log holds',
              headers: securityPolicy,
              content: {
                ...json({
                  type: 'object',
                  required: ['id', 'matches'],
                  properties: {
                    id: { type: 'string' },
                    matches: { type: 'boolean', description: 'True when the digest given is the certificate digest' },
                    digest: { type: 'string', description: "The certificate's digest (only when it matches)" },
                    certificate: {
                      type: 'object',
                      description: 'What the paper shows (only when it matches)',
                      required: ['id', 'class', 'name', 'amount', 'issuedAt'],
                      properties: {
                        id: { type: 'string' },
                        class: { type: 'string' },
                        name: { type: 'string' },
                        amount: { type: 'integer', minimum: 1 },
                        issuedAt: { type: 'string', format: 'date-time' },
                      },
                    },
                    status: {
                      type: 'string',
                      enum: ['outstanding', 'cancelled', 'stopped', 'superseded'],
                      description: 'Where the certificate stands now (only when it matches): a genuine paper may since have been closed',
                    },
                    verdict: {
                      type: 'string',
                      description:
                        'In words (only when it matches): "Genuine, and outstanding", or e.g. "Genuine, but cancelled on December 1, 2026, replaced by CS-31, CS-32"',
                    },
                    closedBy: {
                      type: 'object',
                      description: 'The event that closed it (only when closed)',
                      required: ['id', 'type', 'at'],
                      properties: { id: { type: 'string' }, type: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
                    },
                    replacedBy: {
                      type: 'array',
                      items: { type: 'string' },
                      description: 'The certificates its event issued in its place (only when closed)',
                    },
                    note: { type: 'string', description: "The line a closed certificate's paper prints (only when closed)" },
                  },
                }),
                ...html,
              },
            },
            '400': error('invalid_certificate_id or invalid_digest'),
            '406': error('not_acceptable: Accept allows neither application/json nor text/html'),
            '429': rateLimited,
            '503': logBehind,
          },
        },
      },
      '/.well-known/jwks.json': {
        get: {
          ...open,
          operationId: 'signingKeys',
          tags: ['Certificates'],
          summary: 'The public keys that sign the log, as a JWK set: what a proof or the log is checked against offline',
          description:
            "Every key trusted to sign the log's seals, retired ones included (their old seals stay valid), each with the times it may sign within: a seal is valid only if signed by its key at a head time from notBefore and before retiredAt. No credentials needed. Fetch it again when a seal names a key id not in it: a rotation publishes a new key seconds before it signs.",
          responses: {
            '200': {
              description: 'The trusted keys, oldest first',
              headers: { 'Cache-Control': header(`public, max-age=${JWKS_MAX_AGE_SECONDS}`) },
              content: json({ $ref: '#/components/schemas/SigningKeys' }),
            },
            '404': error('not_found: this instance does not sign (SIGNING_DISABLED), so it publishes no keys'),
            '429': rateLimited,
          },
        },
      },
      '/verify': {
        get: {
          ...open,
          operationId: 'verificationPage',
          tags: ['Certificates'],
          summary: "The page a signed certificate's QR code opens: it checks the certificate's proof on the device",
          description:
            "The QR code of a signed certificate holds /verify#v1.<proof>: the certificate's fields, its Merkle path and the signed head. A browser never sends the fragment; the page's script (/verify.js) recomputes the hashes and checks the Ed25519 signature with WebCrypto against the published keys embedded in the page, and says genuine or not genuine, with the reason, and which key signed when. The page fetches nothing (Content-Security-Policy: default-src 'none'; script-src 'self'), so it also works saved to a file, with no network (docs/verify.md).",
          responses: {
            '200': {
              description: 'The page, with the published signing keys in it',
              headers: { ...securityPolicy, 'Cache-Control': header('no-cache: the keys in it change when a key is added or retired') },
              content: html,
            },
            '429': rateLimited,
          },
        },
      },
      '/verify.js': {
        get: {
          ...open,
          operationId: 'verificationScript',
          tags: ['Certificates'],
          summary: "The verification page's script: it decodes the proof, recomputes the hashes and checks the signature",
          responses: {
            '200': { description: 'The script', content: { 'text/javascript': { schema: { type: 'string' } } } },
            '429': rateLimited,
          },
        },
      },
      '/classes': {
        get: {
          ...protectedBy('certificates:read'),
          operationId: 'listClasses',
          tags: ['Certificates'],
          summary: 'Every share class with its counters',
          responses: {
            ...refused('certificates:read'),
            '429': rateLimited,
            '200': ok('The classes', {
              type: 'object',
              required: ['classes'],
              properties: { classes: { type: 'array', items: { $ref: '#/components/schemas/ShareClass' } } },
            }),
          },
        },
      },
      '/healthz': {
        get: {
          ...open,
          operationId: 'health',
          tags: ['Operations'],
          summary: 'Liveness: the process answers',
          responses: { '200': ok('Alive', { type: 'object', properties: { status: { const: 'ok' } } }), '429': rateLimited },
        },
      },
      '/readyz': {
        get: {
          // Anyone learns ready or not from the status; the details need ops:read.
          security: [{}, ...protectedBy('ops:read').security],
          'x-required-role': 'ops:read',
          operationId: 'ready',
          tags: ['Operations'],
          summary: 'Readiness: the log producer is connected, a writer is known, and the log has been read',
          description: 'Without credentials only the status says ready (200) or not (503); with ops:read the body has the details.',
          responses: {
            ...refused('ops:read'),
            '429': rateLimited,
            '200': ok('Ready', { $ref: '#/components/schemas/Readiness' }),
            '503': retryable('not_ready: with ops:read, `checks` says which part is not ready, with the same details as when ready'),
          },
        },
      },
      '/metrics': {
        get: {
          ...protectedBy('ops:read'),
          operationId: 'metrics',
          tags: ['Operations'],
          summary: 'Prometheus metrics',
          responses: {
            ...refused('ops:read'),
            '429': rateLimited,
            '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/openapi.json': {
        get: {
          ...open,
          operationId: 'openapi',
          tags: ['Operations'],
          summary: 'This document',
          responses: { '200': ok('OpenAPI 3.1 document', { type: 'object' }), '429': rateLimited },
        },
      },
      '/docs': {
        get: {
          ...open,
          operationId: 'docs',
          tags: ['Operations'],
          summary: 'This document for people (Swagger UI, served by this server; nothing from a CDN)',
          responses: { '200': { description: 'The page', headers: securityPolicy, content: html }, '429': rateLimited },
        },
      },
      '/docs/{asset}': {
        get: {
          ...open,
          operationId: 'docsAsset',
          tags: ['Operations'],
          summary: "The documentation page's scripts and styles",
          parameters: [{ name: 'asset', in: 'path', required: true, schema: { enum: Object.keys(DOCS_ASSETS) } }],
          responses: {
            '200': { description: 'The file', content: { '*/*': { schema: { type: 'string' } } } },
            '404': error('not_found: no such asset'),
          },
        },
      },
    },
    /** Answers any path can give, whatever operation it names. */
    'x-any-path-responses': {
      '401': error(
        'unauthenticated: credentials were sent and are not valid (WWW-Authenticate: Bearer, error="invalid_token"), or none were sent where a role is needed',
      ),
      '404': error('not_found: no route at this path'),
      '405': error('method_not_allowed: the path exists, the method does not; see the Allow header'),
      '500': error('internal: an unexpected failure, logged with its cause'),
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'API key (stc_…), made with npm run keys -- create',
          description: 'Authorization: Bearer <API key>. The key names its roles.',
        },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-console',
          description:
            "The console's session (POST /console/session or the identity provider's sign-in); unsafe methods also need X-CSRF-Token and this Origin",
        },
        ...(options.oidcIssuer === undefined
          ? {}
          : {
              oidc: {
                type: 'openIdConnect',
                openIdConnectUrl: `${options.oidcIssuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
                description: 'Authorization: Bearer <access token> from the identity provider; its roles claim names the roles',
              },
            }),
      },
      schemas: {
        CertificatePage: {
          type: 'object',
          required: ['class', 'items'],
          properties: {
            class: { type: 'string', enum: codes },
            items: { type: 'array', maxItems: MAX_PAGE_SIZE, items: { $ref: '#/components/schemas/Certificate' } },
            next: { type: 'integer', minimum: 0, description: 'The `after` of the next page; absent when nothing follows' },
            scanned: { type: 'integer', minimum: 0, description: 'Names compared, for a name search' },
          },
        },
        Voids: {
          type: 'object',
          required: ['total', 'listed', 'voids'],
          properties: {
            total: { type: 'integer', minimum: 0 },
            listed: { type: 'integer', minimum: 0 },
            voids: {
              type: 'array',
              items: {
                type: 'object',
                required: ['offset', 'reason', 'message'],
                properties: { offset: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
        SignIn: {
          type: 'object',
          required: ['apiKey'],
          properties: { apiKey: { type: 'string', maxLength: 200, description: 'An API key, stc_…' } },
        },
        Session: {
          type: 'object',
          required: ['principal', 'roles', 'csrf', 'expiresAt'],
          properties: {
            principal: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
            roles: { type: 'array', items: { type: 'string' } },
            csrf: { type: 'string', description: 'What unsafe requests with the session cookie send as X-CSRF-Token' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        IssueRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'amount', 'class'],
          properties: { ...issueRequestProperties, terms: { $ref: '#/components/schemas/Terms' } },
        },
        Terms: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          description: 'What a cap table records of a certificate beyond holder and amount',
          properties: {
            holder: {
              type: 'string',
              pattern: ITEM_ID_PATTERN,
              description: "The holder's stable id: one stakeholder with several certificates is one holder",
            },
            legends: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_LEGENDS,
              uniqueItems: true,
              items: { type: 'string', pattern: ITEM_ID_PATTERN },
              description: 'Ids of legend templates defined (POST /legends) that the certificate bears',
            },
            approvedOn: { type: 'string', format: 'date', pattern: DATE_PATTERN, description: "The board's approval date" },
            price: { $ref: '#/components/schemas/Money' },
            exemption: {
              type: 'string',
              minLength: 1,
              maxLength: MAX_SHORT_TEXT,
              pattern: SHORT_TEXT_PATTERN,
              description: 'The securities-law exemption relied on',
            },
          },
        },
        Money: {
          type: 'object',
          additionalProperties: false,
          required: ['amount', 'currency'],
          properties: {
            amount: { type: 'string', pattern: DECIMAL_PATTERN, description: 'A decimal amount as text (no float rounding)' },
            currency: { type: 'string', pattern: CURRENCY_PATTERN, description: 'ISO 4217' },
          },
        },
        Reason: {
          type: 'string',
          minLength: 1,
          maxLength: MAX_SHORT_TEXT,
          pattern: SHORT_TEXT_PATTERN,
          description: 'Why, in a line of text (no control characters)',
        },
        Event: {
          type: 'object',
          required: ['id', 'type', 'offset', 'class', 'at'],
          properties: {
            id: { type: 'string', description: "The event's id: its class and its offset in the log", examples: ['CS-E42'] },
            type: { enum: [...EVENT_TYPES] },
            offset: { type: 'integer', minimum: 0 },
            class: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
            certificate: { type: 'string', description: 'The certificate acted on' },
            quantity: { type: 'integer', minimum: 1 },
            results: { type: 'array', items: { type: 'string' }, description: 'Ids of the certificates it issued, in order' },
            balance: { type: 'string', description: 'The balance certificate back to the holder (the last of the results)' },
            reason: { type: 'string' },
            price: { $ref: '#/components/schemas/Money' },
            authorized: { type: 'integer', minimum: 1 },
            approvedOn: { type: 'string', format: 'date' },
            legend: {
              type: 'object',
              required: ['id', 'name', 'text'],
              properties: { id: { type: 'string' }, name: { type: 'string' }, text: { type: 'string' } },
            },
            principal: { type: 'string', description: 'Who asked' },
          },
        },
        EventDone: {
          type: 'object',
          required: ['event', 'results'],
          properties: {
            event: { $ref: '#/components/schemas/Event' },
            results: {
              type: 'array',
              items: { $ref: '#/components/schemas/Certificate' },
              description: 'The certificates the event issued',
            },
          },
        },
        Standing: {
          type: 'object',
          required: ['status'],
          properties: {
            status: { enum: ['outstanding', 'cancelled', 'stopped', 'superseded'] },
            closedBy: {
              type: 'object',
              description: 'The event that closed it',
              required: ['id', 'type', 'at'],
              properties: { id: { type: 'string' }, type: { enum: [...EVENT_TYPES] }, at: { type: 'string', format: 'date-time' } },
            },
            replacedBy: { type: 'array', items: { type: 'string' }, description: 'The certificates the closing event issued' },
            issuedBy: {
              type: 'object',
              description: 'The event that issued it, when one did',
              required: ['id', 'type'],
              properties: { id: { type: 'string' }, type: { enum: [...EVENT_TYPES] } },
            },
          },
        },
        Certificate: {
          type: 'object',
          required: ['id', 'class', 'number', 'name', 'amount', 'issuedAt', 'sharesIssued'],
          properties: {
            id: { type: 'string', examples: ['CS-1'] },
            class: { type: 'string' },
            number: { type: 'integer', minimum: 1 },
            name: { type: 'string' },
            amount: { type: 'integer', minimum: 1 },
            issuedAt: { type: 'string', format: 'date-time' },
            sharesIssued: { type: 'integer', description: "The class's running total of shares, this certificate included" },
            terms: { $ref: '#/components/schemas/Terms' },
            origin: { type: 'integer', minimum: 0, description: 'The offset of the event that issued it, when one did' },
          },
        },
        IssuedCertificate: {
          description: 'The certificate, and its receipt when its write was signed (not for a certificate issued before signing)',
          allOf: [
            { $ref: '#/components/schemas/Certificate' },
            { type: 'object', properties: { receipt: { $ref: '#/components/schemas/Receipt' } } },
          ],
        },
        Receipt: {
          type: 'object',
          description:
            'The certificate\'s proof: its leaf, sha256hex("leaf:" + fieldsHash + valueHash), reaches seal.head.root by path (RFC 9162), and the seal is signed by a published key',
          required: ['valueHash', 'index', 'path', 'seal'],
          properties: {
            valueHash: { ...sha256, description: "SHA-256 of the certificate's record exactly as the log holds it" },
            index: { type: 'integer', minimum: 0, description: "The leaf's position among the write's records" },
            path: { type: 'array', items: sha256, description: 'The audit path: sibling hashes from the leaf up' },
            seal: { $ref: '#/components/schemas/SignedHead' },
          },
        },
        SignedHead: {
          type: 'object',
          description: 'A signed head and where the log holds it; what GET /ledger/head answers and `npm run audit -- --since-head` reads',
          required: ['offset', 'hash', 'head', 'signature'],
          properties: {
            offset: { type: 'integer', minimum: 0, description: "The seal record's offset in the topic" },
            hash: { ...sha256, description: 'sha256hex("head:" + the head as compact JSON): what the next head names as prev' },
            head: { $ref: '#/components/schemas/Head' },
            signature: {
              type: 'string',
              pattern: '^[A-Za-z0-9+/]{86}==$',
              description: 'Ed25519 over the head as compact JSON in the order shown (base64, 64 bytes)',
            },
          },
        },
        Head: {
          type: 'object',
          description: 'What one signature covers: a write of the log, chained to the previous head',
          required: ['v', 'first', 'count', 'root', 'prev', 'classes', 'at', 'key'],
          properties: {
            v: { const: 1 },
            first: { type: 'integer', minimum: 0, description: 'Offset of the first record the write signs' },
            count: { type: 'integer', minimum: 1, description: 'Records the write signs; the seal is at first + count' },
            root: { ...sha256, description: "Merkle root of the records' leaves" },
            prev: { ...sha256, description: "The previous head's hash; 64 zeros for the first" },
            classes: {
              type: 'object',
              description: "Each class's newest number and running total of shares after the write",
              propertyNames: { pattern: `^${CLASS_CODE_PATTERN}$` },
              additionalProperties: {
                type: 'object',
                required: ['number', 'sharesIssued'],
                properties: { number: { type: 'integer', minimum: 0 }, sharesIssued: { type: 'integer', minimum: 0 } },
              },
            },
            at: { type: 'string', format: 'date-time' },
            key: { type: 'string', pattern: KEY_ID_PATTERN, description: 'The id of the signing key (its kid in the published keys)' },
          },
        },
        ShareClass: {
          type: 'object',
          required: [
            'class',
            'name',
            'authorized',
            'sharesIssued',
            'issued',
            'outstanding',
            'remaining',
            'certificates',
            'certificatesOutstanding',
            'nextId',
            'ready',
          ],
          properties: {
            class: { type: 'string' },
            name: { type: 'string', description: 'What paper certificates call the class (SHARE_CLASSES)' },
            authorized: { type: 'integer', description: 'As configured, or as the newest adjustment set it' },
            sharesIssued: { type: 'integer', description: 'The same as issued' },
            issued: { type: 'integer', description: "Shares on every certificate ever issued, events' results included" },
            outstanding: { type: 'integer', description: 'Shares on certificates not cancelled, transferred, repurchased or reissued' },
            remaining: { type: 'integer', description: 'authorized minus outstanding: what may still be issued' },
            certificates: { type: 'integer' },
            certificatesOutstanding: { type: 'integer' },
            nextId: { type: 'string' },
            ready: { type: 'boolean', description: 'False until this instance has read the log at start' },
          },
        },
        SigningKeys: {
          type: 'object',
          required: ['keys'],
          properties: { keys: { type: 'array', items: { $ref: '#/components/schemas/SigningKey' } } },
        },
        SigningKey: {
          type: 'object',
          description: 'An Ed25519 public key as a JWK (RFC 8037), with the times it may sign within',
          required: ['kty', 'crv', 'x', 'kid', 'use', 'alg', 'notBefore'],
          properties: {
            kty: { const: 'OKP' },
            crv: { const: 'Ed25519' },
            x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: 'The public key, 32 bytes in base64url' },
            kid: { type: 'string', pattern: KEY_ID_PATTERN, description: "What a seal's head names in `key`" },
            use: { const: 'sig' },
            alg: { const: 'EdDSA' },
            notBefore: { type: 'string', format: 'date-time', description: 'Seals with an earlier head time are not valid under this key' },
            retiredAt: {
              type: 'string',
              format: 'date-time',
              description: 'Seals with this head time or a later one are void (retired_key); absent while the key is not retired',
            },
          },
        },
        Readiness: {
          type: 'object',
          required: ['status', 'checks', 'role'],
          properties: {
            status: { const: 'ready' },
            checks: {
              type: 'object',
              additionalProperties: { type: 'boolean' },
              examples: [{ log: true, writer: true, 'class:CS': true }],
            },
            role: { enum: ['writer', 'follower', 'unknown'] },
            generation: { type: 'integer', description: 'Generation of the writer election group' },
            writerUrl: { type: 'string', description: 'Where POSTs go (this instance when writer)' },
            logEnd: { type: 'integer', description: 'Offset after the last record this instance has applied' },
            tailLag: { type: 'integer', description: 'Records a follower is behind the log end' },
            voidRecords: { type: 'integer', description: 'Records the validity rule found void since start' },
            renumbered: { type: 'integer', description: 'Requests numbered again since start' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { enum: [...ERROR_CODES] }, message: { type: 'string' } },
              additionalProperties: true,
            },
          },
        },
      },
    },
  } as const;
}
