import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, postJson, request, type Certificate, type LoggedEvent, type Session } from '../api.js';
import { formatShares, formatTime, html } from '../html.js';
import { useLive } from '../live.js';
import { can } from '../session.js';
import { ErrorNote, useSubmission } from '../submission.js';

interface History {
  status: string;
  events: LoggedEvent[];
}
interface Receipt {
  valueHash: string;
  seal: { offset: number; hash: string; head: { at: string; key: string }; signature: string };
}
interface EventAnswer {
  event: LoggedEvent;
  results: Certificate[];
}

const link = (id: string) => html`<a href=${`#/certificates/${encodeURIComponent(id)}`}>${id}</a>`;
const value = (e: Event): string => (e.target as HTMLInputElement).value;

async function downloadPdf(id: string): Promise<void> {
  const response = await request(`/certificates/${encodeURIComponent(id)}`, { headers: { Accept: 'application/pdf' } });
  const url = URL.createObjectURL(await response.blob());
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = `${id}.pdf`;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

type Action = 'transfer' | 'cancellation' | 'reissuance';
const ACTIONS: Array<{ action: Action; role: string; label: string }> = [
  { action: 'transfer', role: 'certificates:transfer', label: 'Transfer' },
  { action: 'cancellation', role: 'certificates:cancel', label: 'Cancel' },
  { action: 'reissuance', role: 'certificates:issue', label: 'Reissue' },
];

function ActionForm({ certificate, action, onDone }: { certificate: Certificate; action: Action; onDone: (answer: EventAnswer) => void }) {
  const [name, setName] = useState('');
  const [holder, setHolder] = useState('');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const submission = useSubmission<EventAnswer>();
  const change = (set: (v: string) => void) => (e: Event) => (set(value(e)), submission.reset(), setConfirming(false));

  const body = (): Record<string, unknown> => {
    const why = reason.trim() ? { reason: reason.trim() } : {};
    if (action === 'transfer')
      return {
        transferees: [{ name: name.trim(), amount: Number(amount), ...(holder.trim() ? { terms: { holder: holder.trim() } } : {}) }],
        ...why,
      };
    if (action === 'cancellation') return { ...(amount ? { quantity: Number(amount) } : {}), ...why };
    return why;
  };
  const summary =
    action === 'transfer'
      ? `Transfer ${formatShares(Number(amount))} of ${certificate.id}'s ${formatShares(certificate.amount)} shares to ${name.trim()}${holder.trim() ? ` (${holder.trim()})` : ''}? ${certificate.id} is cancelled; the rest goes back to ${certificate.name} on a balance certificate.`
      : action === 'cancellation'
        ? `Cancel ${amount ? formatShares(Number(amount)) : 'all'} of ${certificate.id}'s ${formatShares(certificate.amount)} shares?${amount ? ' The rest goes back to the holder on a balance certificate.' : ''}`
        : `Reissue ${certificate.id}: supersede it by a replacement for all its ${formatShares(certificate.amount)} shares?`;

  const send = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!confirming) return setConfirming(true);
    const answer = await submission.submit((key) =>
      postJson<EventAnswer>(`/certificates/${encodeURIComponent(certificate.id)}/${action}`, body(), key),
    );
    if (answer) onDone(answer);
  };

  return html`<form class="action" onSubmit=${send} aria-label=${ACTIONS.find((a) => a.action === action)!.label}>
    ${
      action === 'transfer'
        ? html`<label for="to-name">Transferee's name</label>
            <input id="to-name" required maxlength="200" value=${name} onInput=${change(setName)} />
            <label for="to-holder">Transferee's holder id (optional)</label>
            <input id="to-holder" pattern="[A-Za-z0-9][A-Za-z0-9._:\\-]{0,63}" value=${holder} onInput=${change(setHolder)} />`
        : null
    }
    ${
      action === 'reissuance'
        ? null
        : html`<label for="action-amount">${action === 'transfer' ? 'Shares to transfer' : 'Shares to cancel (empty: all)'}</label>
            <input
              id="action-amount"
              type="number"
              min="1"
              step="1"
              required=${action === 'transfer'}
              value=${amount}
              onInput=${change(setAmount)}
            />`
    }
    <label for="action-reason">Reason (optional)</label>
    <input id="action-reason" maxlength="200" value=${reason} onInput=${change(setReason)} />
    ${
      confirming
        ? html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
            <p id="confirm-text">${summary}</p>
            <button type="submit" disabled=${submission.busy}>Confirm</button>
            <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Back</button>
          </div>`
        : html`<button type="submit">Review</button>`
    }
    <${ErrorNote} error=${submission.error} />
  </form>`;
}

/** One certificate: its fields, status, history, paper, verification, and the actions the roles allow. */
export function CertificatePage({ id, session }: { id: string; session: Session }) {
  const [certificate, setCertificate] = useState<Certificate | null>(null);
  const [history, setHistory] = useState<History | null>(null);
  const [receipt, setReceipt] = useState<Receipt | 'unsigned' | null>(null);
  const [error, setError] = useState('');
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<EventAnswer | null>(null);
  const [pdfError, setPdfError] = useState('');
  const path = `/certificates/${encodeURIComponent(id)}`;

  const load = useCallback(() => {
    const fail = (caught: unknown): void => setError(caught instanceof ApiError ? caught.message : String(caught));
    getJson<Certificate>(path).then(setCertificate, fail);
    getJson<History>(`${path}/events`).then(setHistory, fail);
    getJson<Receipt>(`${path}/receipt`).then(setReceipt, (caught: unknown) =>
      setReceipt(caught instanceof ApiError && caught.code === 'not_signed' ? 'unsigned' : null),
    );
  }, [path]);
  useEffect(load, [load]);
  useLive(
    (message) => (message.data.certificate === id || (message.data.results as string[] | undefined)?.includes(id)) && load(),
    [id, load],
  );

  if (error)
    return html`<h1 tabindex="-1">Certificate ${id}</h1>
      <p class="error" role="alert">${error}</p>`;
  if (certificate === null)
    return html`<h1 tabindex="-1">Certificate ${id}</h1>
      <p role="status">Loading…</p>`;
  const outstanding = (history?.status ?? certificate.status) === 'outstanding';
  const allowed = ACTIONS.filter((a) => can(session, a.role));

  return html`<h1 tabindex="-1">Certificate ${certificate.id}</h1>
    <section aria-labelledby="fields-heading">
      <h2 id="fields-heading">Fields</h2>
      <dl class="fields">
        <dt>Class</dt>
        <dd>${certificate.class}</dd>
        <dt>Number</dt>
        <dd>${certificate.number}</dd>
        <dt>Holder</dt>
        <dd>${certificate.name}</dd>
        <dt>Holder id</dt>
        <dd>${certificate.terms?.holder ?? '—'}</dd>
        <dt>Shares</dt>
        <dd>${formatShares(certificate.amount)}</dd>
        <dt>Issued</dt>
        <dd>${formatTime(certificate.issuedAt)}</dd>
        <dt>Legends</dt>
        <dd>${certificate.terms?.legends?.join(', ') ?? '—'}</dd>
        <dt>Status</dt>
        <dd id="status">
          <strong>${history?.status ?? certificate.status}</strong>
          ${certificate.closedBy ? html` by ${certificate.closedBy.type} ${certificate.closedBy.id} on ${formatTime(certificate.closedBy.at)}` : null}
          ${certificate.replacedBy ? html`; replaced by ${certificate.replacedBy.map((r, i) => html`${i ? ', ' : ''}${link(r)}`)}` : null}
        </dd>
        ${
          certificate.issuedBy
            ? html`<dt>Issued by</dt>
                <dd>${certificate.issuedBy.type} ${certificate.issuedBy.id}</dd>`
            : null
        }
      </dl>
    </section>
    <section aria-labelledby="paper-heading">
      <h2 id="paper-heading">Paper</h2>
      <p>
        <a href=${path} target="_blank" rel="noopener">Open the paper certificate (HTML, prints on one page)</a>
        <button
          type="button"
          class="secondary"
          onClick=${() => downloadPdf(certificate.id).catch((e: unknown) => setPdfError(String((e as Error).message)))}
        >
          Download PDF
        </button>
      </p>
      ${pdfError ? html`<p class="error" role="alert">${pdfError}</p>` : null}
    </section>
    <section aria-labelledby="verify-heading">
      <h2 id="verify-heading">Verification</h2>
      ${
        receipt === 'unsigned'
          ? html`<p>Issued before the log was signed: the paper's QR code leads to the service's digest check.</p>`
          : receipt
            ? html`<dl class="fields">
                  <dt>Record hash</dt>
                  <dd class="mono">${receipt.valueHash}</dd>
                  <dt>Signed head</dt>
                  <dd class="mono">at offset ${receipt.seal.offset}, hash ${receipt.seal.hash.slice(0, 16)}…</dd>
                  <dt>Signed</dt>
                  <dd>${formatTime(receipt.seal.head.at)} with key <span class="mono">${receipt.seal.head.key}</span></dd>
                </dl>
                <p>
                  The printed QR code carries this receipt; anyone checks it offline on the <a href="/verify">verification page</a> or with <code>npm run verify</code>.
                </p>`
            : html`<p role="status">Loading…</p>`
      }
    </section>
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ol class="history">
        ${history?.events.map(
          (e) =>
            html`<li key=${e.id}>
              <strong>${e.type}</strong>${` ${e.id} ${e.at ? formatTime(e.at) : ''}${e.quantity !== undefined ? `, ${formatShares(e.quantity)} shares` : ''}`}
              ${e.results?.length ? html`, results ${e.results.map((r, i) => html`${i ? ', ' : ''}${link(r)}`)}` : null}
              ${e.reason ? html` (${e.reason})` : null}
            </li>`,
        )}
      </ol>
      ${history?.events.length === 0 ? html`<p class="muted">Issued directly; no event has acted on it.</p>` : null}
    </section>
    ${
      outstanding && allowed.length > 0
        ? html`<section aria-labelledby="actions-heading">
            <h2 id="actions-heading">Actions</h2>
            <div class="tabs">
              ${allowed.map(
                (a) =>
                  html`<button
                    type="button"
                    class="secondary"
                    aria-pressed=${action === a.action}
                    onClick=${() => (setAction(a.action), setDone(null))}
                  >
                    ${a.label}…
                  </button>`,
              )}
            </div>
            ${action ? html`<${ActionForm} key=${action} certificate=${certificate} action=${action} onDone=${(answer: EventAnswer) => (setDone(answer), setAction(null), load())} />` : null}
          </section>`
        : null
    }
    ${
      done
        ? html`<section aria-labelledby="done-heading" class="done">
            <h2 id="done-heading" tabindex="-1">Recorded: ${done.event.type} ${done.event.id}</h2>
            <ul>
              ${done.results.map(
                (r) =>
                  html`<li key=${r.id}>
                    ${link(r.id)}${`: ${formatShares(r.amount)} shares to ${r.name}${done.event.balance === r.id ? ' (balance certificate)' : ''}`}
                  </li>`,
              )}
            </ul>
          </section>`
        : null
    }`;
}
