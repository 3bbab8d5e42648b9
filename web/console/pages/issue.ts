import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson, type Certificate, type Session, type ShareClass } from '../api.js';
import { formatShares, formatTime, html } from '../html.js';
import { can } from '../session.js';
import { ErrorNote, useSubmission } from '../submission.js';

const ITEM_ID = '[A-Za-z0-9][A-Za-z0-9._:\\-]{0,63}';

/** The issue form: the API's own rules as input constraints, and the API's own error when it refuses. */
export function IssuePage({ session }: { session: Session }) {
  const [classes, setClasses] = useState<ShareClass[]>([]);
  const [form, setForm] = useState({ shareClass: '', name: '', holder: '', amount: '', legends: '' });
  const [issued, setIssued] = useState<Certificate | null>(null);
  const submission = useSubmission<Certificate>();
  useEffect(() => {
    void getJson<{ classes: ShareClass[] }>('/classes').then((answer) => {
      setClasses(answer.classes);
      setForm((f) => ({ ...f, shareClass: f.shareClass || (answer.classes[0]?.class ?? '') }));
    });
  }, []);
  useEffect(() => {
    if (issued) document.getElementById('issued-heading')?.focus();
  }, [issued]);

  if (!can(session, 'certificates:issue'))
    return html`<h1 tabindex="-1">Issue a certificate</h1>
      <p class="error" role="alert">Your roles do not include certificates:issue.</p>`;

  const field = (name: keyof typeof form) => (e: Event) => {
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
    submission.reset();
  };
  const chosen = classes.find((c) => c.class === form.shareClass);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const legends = form.legends.split(/[\s,]+/).filter(Boolean);
    const terms = { ...(form.holder.trim() ? { holder: form.holder.trim() } : {}), ...(legends.length ? { legends } : {}) };
    const body = {
      class: form.shareClass,
      name: form.name.trim(),
      amount: Number(form.amount),
      ...(Object.keys(terms).length ? { terms } : {}),
    };
    const certificate = await submission.submit((key) => postJson<Certificate>('/certificates', body, key));
    if (certificate) {
      setIssued(certificate);
      setForm({ ...form, name: '', holder: '', amount: '', legends: '' });
    }
  };

  return html`<h1 tabindex="-1">Issue a certificate</h1>
    <form class="issue" onSubmit=${submit} aria-describedby="issue-help">
      <p id="issue-help" class="muted">Each submission carries its own Idempotency-Key: a double click or a retry never issues twice.</p>
      <label for="issue-class">Class</label>
      <select id="issue-class" required value=${form.shareClass} onChange=${field('shareClass')}>
        ${classes.map((c) => html`<option value=${c.class}>${c.class}, ${c.name} (${formatShares(c.remaining)} remaining)</option>`)}
      </select>
      <label for="issue-name">Holder's name</label>
      <input id="issue-name" required maxlength="200" autocomplete="off" value=${form.name} onInput=${field('name')} />
      <label for="issue-holder">Holder id (optional; one stakeholder's certificates share it)</label>
      <input id="issue-holder" pattern=${ITEM_ID} maxlength="64" autocomplete="off" value=${form.holder} onInput=${field('holder')} />
      <label for="issue-amount">Shares</label>
      <input
        id="issue-amount"
        type="number"
        required
        min="1"
        step="1"
        max=${chosen?.remaining}
        value=${form.amount}
        onInput=${field('amount')}
      />
      <label for="issue-legends">Legend ids (optional, separated by commas)</label>
      <input id="issue-legends" autocomplete="off" value=${form.legends} onInput=${field('legends')} />
      <button type="submit" disabled=${submission.busy}>${submission.busy ? 'Issuing…' : 'Issue certificate'}</button>
      <${ErrorNote} error=${submission.error} />
    </form>
    ${
      issued
        ? html`<section class="done" aria-labelledby="issued-heading">
            <h2 id="issued-heading" tabindex="-1">Issued <a href=${`#/certificates/${encodeURIComponent(issued.id)}`}>${issued.id}</a></h2>
            <p>
              ${`${formatShares(issued.amount)} ${issued.class} shares to ${issued.name}${issued.terms?.holder ? ` (${issued.terms.holder})` : ''}, ${formatTime(issued.issuedAt)}.`}
            </p>
          </section>`
        : null
    }`;
}
