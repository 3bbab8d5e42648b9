import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from '../api.js';
import { formatTime, html } from '../html.js';

interface Head {
  offset: number;
  hash: string;
  head: { first: number; count: number; root: string; prev: string; at: string; key: string; classes?: Record<string, unknown> };
  signature: string;
}
interface Voids {
  voids: Array<Record<string, unknown>>;
  verdict?: Record<string, unknown>;
}

const message = (caught: unknown): string => (caught instanceof ApiError ? `${caught.message} (${caught.code})` : String(caught));

/** The auditor's view: the signed head, the void records with their reasons, the verdict, the OCF export. */
export function AuditPage() {
  const [head, setHead] = useState<Head | string | null>(null);
  const [voids, setVoids] = useState<Voids | string | null>(null);
  useEffect(() => {
    getJson<Head>('/ledger/head').then(setHead, (caught: unknown) => setHead(message(caught)));
    getJson<Voids>('/audit/voids').then(setVoids, (caught: unknown) => setVoids(message(caught)));
  }, []);

  return html`<h1 tabindex="-1">Audit</h1>
    <section aria-labelledby="head-heading">
      <h2 id="head-heading">Signed head</h2>
      ${
        typeof head === 'string'
          ? html`<p>${head}</p>`
          : head
            ? html`<dl class="fields">
                  <dt>Seal at offset</dt>
                  <dd>${head.offset}</dd>
                  <dt>Records signed</dt>
                  <dd>${head.head.first} to ${head.head.first + head.head.count - 1}</dd>
                  <dt>Merkle root</dt>
                  <dd class="mono">${head.head.root}</dd>
                  <dt>Head hash</dt>
                  <dd class="mono">${head.hash}</dd>
                  <dt>Previous head</dt>
                  <dd class="mono">${head.head.prev}</dd>
                  <dt>Signed</dt>
                  <dd>${formatTime(head.head.at)} with key <span class="mono">${head.head.key}</span></dd>
                  <dt>Signature</dt>
                  <dd class="mono wrap">${head.signature}</dd>
                </dl>
                <p>Check it with the published keys (<a href="/.well-known/jwks.json">JWK set</a>) as docs/audit.md shows.</p>`
            : html`<p role="status">Loading…</p>`
      }
    </section>
    <section aria-labelledby="voids-heading">
      <h2 id="voids-heading">Void records</h2>
      ${
        typeof voids === 'string'
          ? html`<p>${voids}</p>`
          : voids
            ? html`${voids.verdict ? html`<p>Verdict: <strong>${String(voids.verdict.verdict ?? voids.verdict.ok ?? JSON.stringify(voids.verdict))}</strong></p>` : null}
              ${
                voids.voids.length === 0
                  ? html`<p>No void record: every record in the log counted.</p>`
                  : html`<table>
                      <caption>
                        Records the log holds that the validity rule did not count, and why
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col">Offset</th>
                          <th scope="col">Class</th>
                          <th scope="col">Reason</th>
                          <th scope="col">Details</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${voids.voids.map(
                          (v) =>
                            html`<tr>
                              <td>${String(v.offset ?? '')}</td>
                              <td>${String(v.class ?? '')}</td>
                              <td>${String(v.reason ?? '')}</td>
                              <td class="mono">
                                ${JSON.stringify(Object.fromEntries(Object.entries(v).filter(([k]) => !['offset', 'class', 'reason'].includes(k))))}
                              </td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>`
              }`
            : html`<p role="status">Loading…</p>`
      }
    </section>
    <section aria-labelledby="ocf-heading">
      <h2 id="ocf-heading">Open Cap Table Format</h2>
      <p><a class="button" href="/ocf/export" download>Download the OCF export (ZIP)</a></p>
    </section>`;
}
