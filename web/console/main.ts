import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, prefetch, request, setCsrf, type Session } from './api.js';
import { html } from './html.js';
import { closeLive, openLive } from './live.js';
import { can } from './session.js';
import { CapTable } from './pages/captable.js';
import { CertificatePage } from './pages/certificate.js';
import { IssuePage } from './pages/issue.js';
import { AuditPage } from './pages/audit.js';

type Route = { page: 'captable' } | { page: 'certificate'; id: string } | { page: 'issue' } | { page: 'audit' };

function routeOf(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, '').split('/');
  if (page === 'certificates' && id !== undefined && id !== '') return { page: 'certificate', id: decodeURIComponent(id) };
  if (page === 'issue') return { page: 'issue' };
  if (page === 'audit') return { page: 'audit' };
  return { page: 'captable' };
}

const TITLES = { captable: 'Cap table', certificate: 'Certificate', issue: 'Issue a certificate', audit: 'Audit' } as const;

function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [route, setRoute] = useState<Route>(routeOf(location.hash));

  const load = useCallback(async () => {
    try {
      const current = await getJson<Session>('/console/session');
      setCsrf(current.csrf);
      setSession(current);
    } catch (error) {
      // Signed out (or expired): the service's own sign-in page, which needs no script, takes over.
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      location.replace('/console/login');
    }
  }, []);

  useEffect(() => {
    void load();
    const onHash = (): void => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [load]);

  useEffect(() => {
    if (session) openLive();
    document.title = `${TITLES[route.page]} · Stock ledger console`;
  }, [session, route]);

  // A page change moves focus to the new page's heading, as a screen reader expects of a navigation.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route, session]);

  // Nothing until the session is known: the page then appears whole, without shifting what was drawn.
  if (session === undefined) return null;

  const signOut = async (): Promise<void> => {
    await request('/console/logout', { method: 'POST' }).catch(() => undefined);
    closeLive();
    location.replace('/console/login');
  };
  const link = (href: string, label: string, current: boolean) =>
    html`<li><a href=${href} aria-current=${current ? 'page' : undefined}>${label}</a></li>`;

  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">Stock ledger</span>
      <nav aria-label="Console">
        <ul>
          ${link('#/', 'Cap table', route.page === 'captable' || route.page === 'certificate')}
          ${can(session, 'certificates:issue') ? link('#/issue', 'Issue', route.page === 'issue') : null}
          ${can(session, 'audit:read') ? link('#/audit', 'Audit', route.page === 'audit') : null}
        </ul>
      </nav>
      <span class="who" title=${session.principal.id}>Signed in as <strong>${session.principal.name}</strong></span>
      <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main">
      ${route.page === 'captable' ? html`<${CapTable} session=${session} />` : null}
      ${route.page === 'certificate' ? html`<${CertificatePage} key=${route.id} id=${route.id} session=${session} />` : null}
      ${route.page === 'issue' ? html`<${IssuePage} session=${session} />` : null} ${route.page === 'audit' ? html`<${AuditPage} />` : null}
    </main>
  `;
}

prefetch('/console/session');
if (routeOf(location.hash).page === 'captable') prefetch('/classes');
render(html`<${App} />`, document.getElementById('app')!);
