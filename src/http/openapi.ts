import { CERTIFICATE_NUMBER_PATTERN, IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY_LENGTH } from '../core/certificate.js';
import { MAX_FORWARDED_REQUESTS } from '../cluster/forward-protocol.js';
import type { ShareClassConfig } from '../core/share-class.js';
import { ERROR_CODES } from '../core/errors.js';
import { DIGEST_PATTERN } from '../paper/digest.js';
import { DOCS_ASSETS } from './docs.js';
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

/** The API document for the configured classes: it says exactly what this server accepts and answers. */
export function apiDocument(classes: readonly ShareClassConfig[]) {
  const codes = classes.map(({ code }) => code);
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
      maximum: Math.max(...classes.map(({ authorized }) => authorized)),
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
  const logBehind = retryable('log_unavailable: the number is past what this instance has read, and the log cannot be read now');

  const issue = {
    summary: 'Issue the next certificate of a class',
    description:
      'Answered 201 only after Kafka acknowledged the certificate (acks=all) and the log holds it as a certificate. Any instance takes it: a follower forwards it to the elected writer.',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          "Makes retries exactly-once: every request with this key and the same class, name and amount gets the one certificate issued for it (201, same body, Idempotent-Replayed: true), on any instance, after restarts and failover, while the key is remembered (IDEMPOTENCY_WINDOW_MS, default 24 h, and the newest IDEMPOTENCY_MAX_KEYS keys, default 1,000,000). Concurrent requests with one key wait for the first one's outcome. A key older than the window is forgotten: a request with it is issued as new.",
        schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN },
        examples: { uuid: { value: '0b5f3b8e-4a8e-4c7b-9a51-5d7c1e2f9a10' } },
      },
    ],
    requestBody: { required: true, content: json({ $ref: '#/components/schemas/IssueRequest' }) },
    responses: {
      '201': {
        description: 'Issued and durably committed, or (with Idempotent-Replayed) issued earlier for this Idempotency-Key',
        headers: {
          Location: { description: '/certificates/{id}', schema: { type: 'string' } },
          'Idempotent-Replayed': {
            description: 'Present, and true, when an earlier request with the same Idempotency-Key had this certificate issued',
            schema: { const: 'true' },
          },
        },
        content: json({ $ref: '#/components/schemas/Certificate' }),
      },
      '400': error('invalid_json, invalid_body, invalid_name, invalid_amount, invalid_class, unknown_class or invalid_idempotency_key'),
      '408': retryable('request_timeout: the body did not arrive in time'),
      '409': error('insufficient_shares: more shares than the class has left; no number was consumed'),
      '413': error('payload_too_large'),
      '415': error('unsupported_media_type: Content-Type must be application/json'),
      '422': error(
        'idempotency_key_reused: the Idempotency-Key was first used for another class, name or amount; nothing was issued (details: idempotencyKey, certificate when issued)',
      ),
      '429': retryable(
        'too_many_requests: this caller sent more than RATE_LIMIT_PER_SECOND (bursts of RATE_LIMIT_BURST); nothing was issued; RateLimit and RateLimit-Policy say the quota',
      ),
      '503': retryable(
        'overloaded (MAILBOX_LIMIT or FORWARD_QUEUE_LIMIT requests already wait), shutting_down or no_writer: nothing was issued; log_unavailable or writer_unreachable: the certificate may or may not have been committed; a retry with the same Idempotency-Key gets it exactly once',
      ),
    },
  };

  const forwarded = {
    operationId: 'issueForwarded',
    tags: ['Between instances'],
    summary: 'Instance to instance: the requests a follower forwards to the writer, many in one call',
    description: 'Internal; clients use POST /. Each request is validated and answered on its own, in order.',
    requestBody: {
      required: true,
      content: json({
        type: 'object',
        required: ['requests'],
        properties: {
          requests: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_FORWARDED_REQUESTS,
            // Any value: each is validated on its own, and a bad one is answered with its error in
            // `results` rather than failing the requests forwarded beside it.
            items: {
              description:
                'A ForwardedRequest (components/schemas); one that is not is answered with its error (e.g. invalid_name) in results',
            },
          },
        },
      }),
    },
    responses: {
      '200': ok('One result per request, in order', {
        type: 'object',
        required: ['results'],
        properties: {
          results: {
            type: 'array',
            items: {
              oneOf: [
                {
                  type: 'object',
                  required: ['certificate'],
                  properties: { certificate: { $ref: '#/components/schemas/Certificate' }, replayed: { const: true } },
                },
                { $ref: '#/components/schemas/Error' },
              ],
            },
          },
        },
      }),
      '400': error(`invalid_json or invalid_body: not {"requests":[…]} with 1 to ${MAX_FORWARDED_REQUESTS} items`),
      '408': retryable('request_timeout'),
      '413': error('payload_too_large'),
      '415': error('unsupported_media_type'),
      '503': retryable('not_writer: this instance is not the writer; nothing was issued'),
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Stock certificates',
      version: '0.1.0',
      description: 'Issues numbered stock certificates per share class (CS-1, CS-2, …), durably, with no gaps and no duplicates.',
    },
    paths: {
      '/': { post: { ...issue, operationId: 'issue', tags: ['Certificates'] } },
      '/certificates': { post: { ...issue, operationId: 'issueCertificate', tags: ['Certificates'] } },
      '/certificates/{id}': {
        get: {
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
                ETag: header('The certificate digest and the representation; a certificate never changes'),
                'Cache-Control': header('public, max-age=3600'),
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
            '406': error('not_acceptable: Accept allows none of application/json, application/pdf, text/html'),
            '429': retryable('too_many_requests: too many PDFs are being rendered, or this caller sent too many requests; retry shortly'),
            '503': logBehind,
          },
        },
      },
      '/certificates/{id}/verify': {
        get: {
          operationId: 'verifyCertificate',
          tags: ['Certificates'],
          summary: 'Whether a digest printed on paper is that of the certificate in the log',
          description:
            'The QR code and the URL on a paper certificate lead here. Answers 200 either way, with what the log holds, so whoever holds the paper can compare it line by line. HTML for a browser (Accept: text/html), JSON otherwise.',
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
                  required: ['id', 'matches', 'digest', 'certificate'],
                  properties: {
                    id: { type: 'string' },
                    matches: { type: 'boolean', description: 'True when the digest given is the certificate digest' },
                    digest: { type: 'string', description: "The certificate's digest" },
                    certificate: { $ref: '#/components/schemas/Certificate' },
                  },
                }),
                ...html,
              },
            },
            '400': error('invalid_certificate_id or invalid_digest'),
            '404': notFound,
            '406': error('not_acceptable: Accept allows neither application/json nor text/html'),
            '503': logBehind,
          },
        },
      },
      '/classes': {
        get: {
          operationId: 'listClasses',
          tags: ['Certificates'],
          summary: 'Every share class with its counters',
          responses: {
            '200': ok('The classes', {
              type: 'object',
              required: ['classes'],
              properties: { classes: { type: 'array', items: { $ref: '#/components/schemas/ShareClass' } } },
            }),
          },
        },
      },
      '/internal/issue': { post: forwarded },
      '/healthz': {
        get: {
          operationId: 'health',
          tags: ['Operations'],
          summary: 'Liveness: the process answers',
          responses: { '200': ok('Alive', { type: 'object', properties: { status: { const: 'ok' } } }) },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          tags: ['Operations'],
          summary: 'Readiness: the log producer is connected, a writer is known, and the log has been read',
          responses: {
            '200': ok('Ready', { $ref: '#/components/schemas/Readiness' }),
            '503': retryable('not_ready: `checks` says which part is not ready; the same details as when ready'),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          tags: ['Operations'],
          summary: 'Prometheus metrics',
          responses: {
            '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          tags: ['Operations'],
          summary: 'This document',
          responses: { '200': ok('OpenAPI 3.1 document', { type: 'object' }) },
        },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          tags: ['Operations'],
          summary: 'This document for people (Swagger UI, served by this server; nothing from a CDN)',
          responses: { '200': { description: 'The page', headers: securityPolicy, content: html } },
        },
      },
      '/docs/{asset}': {
        get: {
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
      '404': error('not_found: no route at this path'),
      '405': error('method_not_allowed: the path exists, the method does not; see the Allow header'),
      '500': error('internal: an unexpected failure, logged with its cause'),
    },
    components: {
      schemas: {
        IssueRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'amount', 'class'],
          properties: issueRequestProperties,
        },
        ForwardedRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'amount', 'class'],
          properties: {
            ...issueRequestProperties,
            idempotencyKey: {
              type: 'string',
              maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
              pattern: IDEMPOTENCY_KEY_PATTERN,
              description: "The client's Idempotency-Key",
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
          },
        },
        ShareClass: {
          type: 'object',
          required: ['class', 'name', 'authorized', 'sharesIssued', 'remaining', 'certificates', 'nextId', 'ready'],
          properties: {
            class: { type: 'string' },
            name: { type: 'string', description: 'What paper certificates call the class (SHARE_CLASSES)' },
            authorized: { type: 'integer' },
            sharesIssued: { type: 'integer' },
            remaining: { type: 'integer' },
            certificates: { type: 'integer' },
            nextId: { type: 'string' },
            ready: { type: 'boolean', description: 'False until this instance has read the log at start' },
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
