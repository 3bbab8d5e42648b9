import type Router from '@koa/router';
import { createHash } from 'node:crypto';
import { escapeHtml } from '../paper/html.js';
import type { PublicJwk } from '../signing/signing-keys.js';
import type { PublishedKeys } from './jwks.js';

/**
 * The page's script, in the browser's JavaScript: it cannot import src/core, so it repeats its
 * recipe, small enough to read whole, and test/http/verify-page.test.ts holds it to src/core on real
 * and tampered proofs. It reads the proof from the fragment (src/paper/proof-link.ts spells the
 * bytes), recomputes the leaf, the Merkle root (RFC 9162, as src/core/merkle.ts) and the head
 * (src/core/seal.ts headText), and checks the Ed25519 signature with WebCrypto against the keys
 * the page was served with. It fetches nothing (the page's policy forbids it), so the fragment stays
 * on the device, and a page saved to a file checks as well with no network.
 * Reasons are the codes of src/verify/verdict.ts.
 */
export const VERIFY_SCRIPT = String.raw`'use strict';
(() => {
  const PREFIX = 'v1.';
  const HASH = 32;
  const FIXED = 1 + HASH + HASH + 64;
  const MAX_PATH = 16;
  const MAX_LINK = 4096;
  const encoder = new TextEncoder();
  const $ = (id) => document.getElementById(id);
  const keys = JSON.parse($('published-keys').textContent).keys;

  class Verdict extends Error {
    constructor(reason, message) {
      super(message);
      this.reason = reason;
    }
  }
  const malformed = (message) => new Verdict('malformed', message);

  const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const sha256 = async (text) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
  const isCount = (value) => Number.isSafeInteger(value) && value >= 0;

  // RFC 9162 2.1.3.2: the root a leaf at index of a tree of size leaves reaches by its path.
  async function rootFromPath(leaf, index, size, path) {
    if (!isCount(index) || !isCount(size) || index >= size) return undefined;
    let fn = index;
    let sn = size - 1;
    let hash = leaf;
    for (const sibling of path) {
      if (sn === 0) return undefined;
      if (fn % 2 === 1 || fn === sn) {
        hash = await sha256('node:' + sibling + hash);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        hash = await sha256('node:' + hash + sibling);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? hash : undefined;
  }

  // The terms in src/core/terms.ts canonicalTerms's order, nothing else: the leaf commits to them so spelled.
  function canonicalTerms(terms) {
    const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
    const isText = (value) => typeof value === 'string' && value.length > 0;
    const known = ['holder', 'legends', 'approvedOn', 'price', 'exemption'];
    if (!isObject(terms) || Object.keys(terms).some((field) => !known.includes(field))) throw malformed("the proof's terms are not terms");
    const { holder, legends, approvedOn, price, exemption } = terms;
    const fine = [holder, approvedOn, exemption].every((value) => value === undefined || isText(value)) &&
      (legends === undefined || (Array.isArray(legends) && legends.every(isText))) &&
      (price === undefined || (isObject(price) && Object.keys(price).length === 2 && isText(price.amount) && isText(price.currency)));
    if (!fine) throw malformed("the proof's terms are not of their types");
    const canonical = {};
    if (holder !== undefined) canonical.holder = holder;
    if (legends !== undefined) canonical.legends = legends;
    if (approvedOn !== undefined) canonical.approvedOn = approvedOn;
    if (price !== undefined) canonical.price = { amount: price.amount, currency: price.currency };
    if (exemption !== undefined) canonical.exemption = exemption;
    return canonical;
  }

  function decode(fragment) {
    if (fragment.length > MAX_LINK || !fragment.startsWith(PREFIX)) throw malformed('the address holds no proof of a certificate');
    const text = fragment.slice(PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw malformed('the proof is not base64url');
    let binary;
    try {
      binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    } catch {
      throw malformed('the proof is not base64url');
    }
    if (btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') !== text) throw malformed('the proof is not canonical base64url');
    const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
    const k = bytes[0];
    const tail = FIXED + HASH * k;
    if (k > MAX_PATH || bytes.length <= tail) throw malformed('the proof is cut short');
    let rest;
    try {
      rest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(tail)));
    } catch {
      throw malformed("the proof's fields are not UTF-8 JSON");
    }
    if (!Array.isArray(rest) || (rest.length !== 12 && rest.length !== 13)) throw malformed("the proof's fields are not the twelve expected (thirteen with terms)");
    const [shareClass, number, name, amount, issuedAt, sharesIssued, index, first, count, at, key, counts, terms] = rest;
    const strings = [shareClass, name, issuedAt, at, key].every((value) => typeof value === 'string' && value.length > 0);
    const numbers = [number, amount, sharesIssued, index, first, count].every(isCount);
    const pairs = typeof counts === 'object' && counts !== null && !Array.isArray(counts) &&
      Object.values(counts).every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every(isCount));
    if (!strings || !numbers || !pairs) throw malformed("the proof's fields are not of their types");
    const path = Array.from({ length: k }, (_, level) => hex(bytes.subarray(FIXED + HASH * level, FIXED + HASH * (level + 1))));
    const certificate = { id: shareClass + '-' + number, class: shareClass, number, name, amount, issuedAt, sharesIssued };
    if (rest.length === 13) certificate.terms = canonicalTerms(terms);
    return {
      certificate,
      valueHash: hex(bytes.subarray(1, 1 + HASH)),
      prev: hex(bytes.subarray(1 + HASH, 1 + 2 * HASH)),
      signature: bytes.subarray(1 + 2 * HASH, FIXED),
      path, index, first, count, at, key,
      classes: Object.fromEntries(Object.keys(counts).sort().map((code) => [code, { number: counts[code][0], sharesIssued: counts[code][1] }])),
    };
  }

  async function verify(fragment) {
    const proof = decode(fragment);
    const { certificate, index, first, count, prev, classes, at, key } = proof;
    const fieldsHash = await sha256(JSON.stringify(certificate));
    const leaf = await sha256('leaf:' + fieldsHash + proof.valueHash);
    const root = await rootFromPath(leaf, index, count, proof.path);
    if (root === undefined) throw malformed("the path does not fit the head's count");
    const text = JSON.stringify({ v: 1, first, count, root, prev, classes, at, key });
    const jwk = keys.find((published) => published.kid === key);
    if (jwk === undefined) throw new Verdict('untrusted_key', 'it names key ' + key + ", which is not one of this issuer's published keys");
    if (!(jwk.notBefore <= at && (jwk.retiredAt === undefined || at < jwk.retiredAt))) {
      throw new Verdict('retired_key', 'key ' + key + ' may not sign at ' + at + ': it was not valid yet, or retired by then');
    }
    let publicKey;
    try {
      publicKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    } catch {
      throw new Verdict('unsupported', 'this browser cannot check Ed25519 signatures: open the page in a current browser, or run npm run verify');
    }
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, proof.signature, encoder.encode(text)))) {
      throw new Verdict('bad_signature', 'the signature is not key ' + key + "'s over these fields and this head: the certificate or its proof was altered");
    }
    return { certificate, fieldsHash, key, at, headHash: await sha256('head:' + text) };
  }

  function show(verdict, title, reason, rows) {
    document.body.dataset.verdict = verdict;
    $('verdict').textContent = title;
    $('reason').textContent = reason;
    const list = $('fields');
    list.replaceChildren();
    for (const [label, value, id] of rows) {
      const term = document.createElement('dt');
      term.textContent = label;
      const detail = document.createElement('dd');
      detail.textContent = value;
      detail.id = id;
      list.append(term, detail);
    }
  }

  // A signature proves issuance only: a certificate cancelled, stopped or superseded since keeps it.
  // Where it stands now only the issuer knows; the page asks nobody (its policy forbids it), so it links.
  function showStatus(id, digest) {
    const path = 'certificates/' + encodeURIComponent(id) + '/verify?digest=' + digest;
    const online = location.protocol === 'https:' || location.protocol === 'http:';
    const status = $('status');
    status.replaceChildren('The signature proves that ' + id + ' was issued, not that it is still outstanding: it may since have been cancelled, stopped or replaced. ');
    if (online) {
      const link = document.createElement('a');
      link.href = new URL(path, location.href).href;
      link.id = 'status-link';
      link.textContent = 'Check where it stands now with the issuer';
      status.append(link, '.');
    } else {
      status.append("Check where it stands now at the issuer's /" + path + '.');
    }
  }

  async function run() {
    $('status').replaceChildren();
    const fragment = location.hash.slice(1);
    if (fragment === '') {
      show('none', 'Scan the QR code of a certificate', 'The code opens this page with the proof after "#"; it is checked here.', []);
      return;
    }
    if (globalThis.crypto?.subtle === undefined) {
      show('cannot-check', 'Cannot check here', 'This browser checks signatures only on a page opened over https, or saved and opened as a file.', []);
      return;
    }
    try {
      const { certificate, fieldsHash, key, at, headHash } = await verify(fragment);
      const digest = fieldsHash.slice(0, 16);
      const terms = certificate.terms ?? {};
      show('genuine', '\u2713 Genuinely issued', 'Signed by key ' + key + ' at ' + at + '. Compare every line below with the paper.', [
        ['Certificate', certificate.id, 'id'],
        ['Class', certificate.class, 'class'],
        ['Holder', certificate.name, 'holder'],
        ...(terms.holder === undefined ? [] : [['Holder id', terms.holder, 'holder-id']]),
        ['Shares', certificate.amount.toLocaleString('en-US'), 'shares'],
        ['Issued at', certificate.issuedAt, 'issued'],
        ...(terms.legends === undefined ? [] : [['Legends', terms.legends.join(', '), 'legends']]),
        ...(terms.approvedOn === undefined ? [] : [['Board approval', terms.approvedOn, 'approved-on']]),
        ...(terms.price === undefined ? [] : [['Price per share', terms.price.amount + ' ' + terms.price.currency, 'price']]),
        ...(terms.exemption === undefined ? [] : [['Exemption', terms.exemption, 'exemption']]),
        ['Digest', digest.replace(/(.{4})(?=.)/g, '$1 '), 'digest'],
        ['Signing key', key, 'key'],
        ['Signed at', at, 'signed-at'],
        ['Signed head', headHash, 'head'],
      ]);
      showStatus(certificate.id, digest);
    } catch (error) {
      if (error instanceof Verdict && error.reason !== 'unsupported') {
        document.body.dataset.reason = error.reason;
        show('not-genuine', '\u2717 Not genuine', error.message, []);
      } else {
        show('cannot-check', 'Cannot check here', error instanceof Error ? error.message : String(error), []);
      }
    }
  }

  addEventListener('hashchange', () => {
    delete document.body.dataset.reason;
    run();
  });
  run();
})();
`;

const STYLE = `body { font-family: Georgia, serif; max-width: 42em; margin: 2em auto; padding: 0 1em; color: #1f2a44; }
[data-verdict="genuine"] #verdict { color: #1b6e3a; } [data-verdict="not-genuine"] #verdict { color: #a11; }
dt { font-weight: bold; margin-top: 0.5em; } dd { margin-left: 0; overflow-wrap: anywhere; } small { color: #555; }`;

const sha256Base64 = (text: string): string => createHash('sha256').update(text).digest('base64');

/**
 * Scripts from this server only (the one file), the one style by its hash, nothing fetched, no
 * string reaching an HTML sink: the proof in the fragment cannot leave the page, nor be run.
 */
export const VERIFY_PAGE_SECURITY_POLICY = `default-src 'none'; script-src 'self'; style-src 'sha256-${sha256Base64(STYLE)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'`;

/** The page with the keys it trusts in it: what GET /verify serves, and what a holder may save. */
export function verifyPage(keys: readonly PublicJwk[]): string {
  const e = escapeHtml;
  // A JSON data block is never run; "<" is escaped so that no key's text can close it.
  const published = JSON.stringify({ keys }).replace(/</g, '\\u003c');
  const listed = keys
    .map(
      (key) =>
        `<li><code>${e(key.kid)}</code> signs from ${e(key.notBefore)}${key.retiredAt === undefined ? '' : ` until ${e(key.retiredAt)}`}</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify a stock certificate</title>
<style>${STYLE}</style>
<script type="application/json" id="published-keys">${published}</script>
<script src="verify.js" defer></script>
</head>
<body data-verdict="checking">
<main>
<h1 id="verdict">Checking…</h1>
<p id="reason"></p>
<p id="status"></p>
<dl id="fields"></dl>
<noscript><p>This page needs JavaScript to check the certificate's signature.</p></noscript>
<p><small>This page checked the certificate on this device, with the issuer's published keys below, which came with the page. The proof after "#" in its address is never sent to any server, and the page fetches nothing: saved, it works without a network.</small></p>
<details><summary>Published signing keys</summary>
<ul>
${listed}
</ul>
</details>
</main>
</body>
</html>
`;
}

/**
 * GET /verify: the public verification page a signed paper's QR code opens, with the published keys
 * in it; and GET /verify.js, its script (relative to the page, so that a page saved with its script
 * beside it still runs). Public, like the certificate's own verification link.
 */
export function verifyPageRoutes(router: Router, signingKeys: (() => PublishedKeys) | undefined): void {
  router.get('/verify', (ctx) => {
    ctx.set('Content-Security-Policy', VERIFY_PAGE_SECURITY_POLICY);
    // The keys it holds change when a key is added or retired.
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    // Read on every page, so that a rotation reaches the next one served; signing disabled: none to trust.
    ctx.body = verifyPage(signingKeys?.().keys ?? []);
  });
  router.get('/verify.js', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = VERIFY_SCRIPT;
  });
}
