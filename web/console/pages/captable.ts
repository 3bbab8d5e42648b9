import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, type Certificate, type CertificatePage, type Session, type ShareClass } from '../api.js';
import { ClassChart } from '../chart.js';
import { formatShares, formatTime, html } from '../html.js';
import { useLive } from '../live.js';
import { can } from '../session.js';

const PAGE_SIZE = 25;

interface Holding {
  holder: string;
  positions: Array<{ class: string; outstanding: number; certificatesOutstanding: number }>;
  certificates: Certificate[];
}

const certificateLink = (id: string) => html`<a href=${`#/certificates/${encodeURIComponent(id)}`}>${id}</a>`;

function CertificateRows({ items }: { items: Certificate[] }) {
  return html`${items.map(
    (c) =>
      html`<tr key=${c.id}>
        <th scope="row">${certificateLink(c.id)}</th>
        <td>${c.name}</td>
        <td>${c.terms?.holder ?? ''}</td>
        <td class="num">${formatShares(c.amount)}</td>
        <td>${c.status ?? ''}</td>
        <td>${formatTime(c.issuedAt)}</td>
      </tr>`,
  )}`;
}

function CertificateTable({ items, caption }: { items: Certificate[]; caption: string }) {
  return html`<table>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">Certificate</th>
        <th scope="col">Holder</th>
        <th scope="col">Holder id</th>
        <th scope="col" class="num">Shares</th>
        <th scope="col">Status</th>
        <th scope="col">Issued</th>
      </tr>
    </thead>
    <tbody>
      <${CertificateRows} items=${items} />
    </tbody>
  </table>`;
}

function Classes({ classes }: { classes: ShareClass[] }) {
  return html`<section aria-labelledby="classes-heading">
    <h2 id="classes-heading">Classes</h2>
    <table>
      <caption class="visually-hidden">
        Shares per class
      </caption>
      <thead>
        <tr>
          <th scope="col">Class</th>
          <th scope="col" class="num">Authorized</th>
          <th scope="col" class="num">Issued</th>
          <th scope="col" class="num">Outstanding</th>
          <th scope="col" class="num">Remaining</th>
          <th scope="col" class="num">Certificates</th>
        </tr>
      </thead>
      <tbody>
        ${classes.map(
          (c) =>
            html`<tr key=${c.class}>
              <th scope="row">${c.class} <span class="muted">${c.name}</span></th>
              <td class="num">${formatShares(c.authorized)}</td>
              <td class="num">${formatShares(c.issued)}</td>
              <td class="num">${formatShares(c.outstanding)}</td>
              <td class="num">${formatShares(c.remaining)}</td>
              <td class="num">
                ${formatShares(c.certificatesOutstanding ?? c.certificates)} outstanding of ${formatShares(c.certificates)}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <${ClassChart} classes=${classes} />
  </section>`;
}

function HolderLookup() {
  const [holder, setHolder] = useState('');
  const [holding, setHolding] = useState<Holding | null>(null);
  const [error, setError] = useState('');
  const look = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError('');
    setHolding(null);
    try {
      setHolding(await getJson<Holding>(`/holders/${encodeURIComponent(holder.trim())}`));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  };
  return html`<section aria-labelledby="holders-heading">
    <h2 id="holders-heading">Holders and positions</h2>
    <form class="inline" role="search" aria-label="Holder" onSubmit=${look}>
      <label for="holder-id">Holder id</label>
      <input id="holder-id" required value=${holder} onInput=${(e: Event) => setHolder((e.target as HTMLInputElement).value)} />
      <button type="submit">Show position</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      holding
        ? html`<div aria-live="polite">
            <ul class="positions">
              ${holding.positions.map(
                (p) =>
                  html`<li key=${p.class}>
                    <strong>${holding.holder}</strong>${` holds ${formatShares(p.outstanding)} ${p.class} shares on ${p.certificatesOutstanding} outstanding certificate(s)`}
                  </li>`,
              )}
            </ul>
            <${CertificateTable} items=${holding.certificates} caption=${`Certificates naming holder ${holding.holder}`} />
          </div>`
        : null
    }
  </section>`;
}

function CertificateList({ classes }: { classes: ShareClass[] }) {
  const [shareClass, setShareClass] = useState('');
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState({ shareClass: '', query: '' });
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<CertificatePage | null>(null);
  const [error, setError] = useState('');
  const cursor = cursors[cursors.length - 1];

  // The list is per class (paged by number, newest first): the first class until another is chosen.
  const first = classes[0]?.class ?? '';
  useEffect(() => {
    if (!applied.shareClass && first) {
      setShareClass(first);
      setApplied((a) => ({ ...a, shareClass: first }));
    }
  }, [first, applied.shareClass]);

  useEffect(() => {
    if (!applied.shareClass) return;
    const params = new URLSearchParams({ class: applied.shareClass, limit: String(PAGE_SIZE) });
    if (applied.query) params.set('q', applied.query);
    if (cursor !== undefined) params.set('after', cursor);
    getJson<CertificatePage>(`/certificates?${params}`).then(
      (answer) => (setPage(answer), setError('')),
      (caught: unknown) => setError(caught instanceof ApiError ? caught.message : String(caught)),
    );
  }, [applied, cursor]);

  const search = (event: Event): void => {
    event.preventDefault();
    setApplied({ shareClass, query: query.trim() });
    setCursors([undefined]);
  };
  return html`<section aria-labelledby="certificates-heading">
    <h2 id="certificates-heading">Certificates</h2>
    <form class="inline" role="search" aria-label="Certificates" onSubmit=${search}>
      <label for="search-class">Class</label>
      <select id="search-class" value=${shareClass} onChange=${(e: Event) => setShareClass((e.target as HTMLSelectElement).value)}>
        ${classes.map((c) => html`<option value=${c.class}>${c.class}</option>`)}
      </select>
      <label for="search-q">Certificate id, holder id or name</label>
      <input id="search-q" type="search" value=${query} onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)} />
      <button type="submit">Search</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${page ? html`<${CertificateTable} items=${page.items} caption=${`Page ${cursors.length}${page.items.length === 0 ? ': no certificates' : ''}`} />` : null}
    ${
      page
        ? html`<nav class="pager" aria-label="Certificate pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>
        Previous page
      </button>
      <button
        type="button"
        class="secondary"
        disabled=${page?.next === undefined}
        onClick=${() => setCursors([...cursors, String(page!.next)])}
      >
        Next page
      </button>
    </nav>`
        : null
    }
  </section>`;
}

/** The cap table: the classes' figures and chart, holders' positions, every certificate by page, and what arrives live. */
export function CapTable({ session }: { session: Session }) {
  const [classes, setClasses] = useState<ShareClass[] | null>(null);
  const [recent, setRecent] = useState<Certificate[]>([]);
  const [error, setError] = useState('');
  const refresh = useCallback(() => {
    getJson<{ classes: ShareClass[] }>('/classes').then(
      (answer) => setClasses(answer.classes),
      (caught: unknown) => setError(caught instanceof ApiError ? caught.message : String(caught)),
    );
  }, []);
  useEffect(refresh, [refresh]);
  useLive(
    (message) => {
      if (message.kind === 'certificate') setRecent((list) => [message.data as unknown as Certificate, ...list].slice(0, 10));
      refresh();
    },
    [refresh],
  );

  // The figures come first and whole, so nothing drawn moves when they arrive.
  if (classes === null) return error ? html`<h1 tabindex="-1">Cap table</h1><p class="error" role="alert">${error}</p>` : null;
  return html`<h1 tabindex="-1">Cap table</h1>
    ${can(session, 'certificates:issue') ? html`<p><a class="button" href="#/issue">Issue a certificate</a></p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <${Classes} classes=${classes} />
    <section aria-labelledby="live-heading">
      <h2 id="live-heading">Issued while you watch</h2>
      <div aria-live="polite" id="live-list">
        ${recent.length === 0 ? html`<p class="muted">New certificates appear here as the ledger records them.</p>` : html`<${CertificateTable} items=${recent} caption="Newest first" />`}
      </div>
    </section>
    <${HolderLookup} />
    <${CertificateList} classes=${classes} />`;
}
