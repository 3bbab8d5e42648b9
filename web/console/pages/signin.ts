import { useState } from 'preact/hooks';
import { ApiError, request } from '../api.js';
import { html } from '../html.js';

interface Props {
  options: { oidc: boolean; provider?: string };
  onSignedIn: () => Promise<void>;
}

/** Sign-in: through the identity provider (the server runs the code flow with PKCE) or with an API key. */
export function SignIn({ options, onSignedIn }: Props) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await request('/console/session', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ apiKey }),
      });
      setApiKey('');
      history.replaceState(null, '', '/console/');
      await onSignedIn();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return html`<main id="main" class="signin">
    <h1 tabindex="-1">Sign in to the stock ledger</h1>
    ${
      options.oidc
        ? html`<section aria-labelledby="oidc-heading">
            <h2 id="oidc-heading">With your organisation's account</h2>
            <a class="button" href="/console/oidc/start">Sign in with ${options.provider ?? 'your identity provider'}</a>
          </section>`
        : null
    }
    <section aria-labelledby="key-heading">
      <h2 id="key-heading">With an API key</h2>
      <form onSubmit=${submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autocomplete="off"
          required
          value=${apiKey}
          onInput=${(e: Event) => setApiKey((e.target as HTMLInputElement).value)}
        />
        ${error ? html`<p class="error" role="alert">${error}</p>` : null}
        <button type="submit" disabled=${busy}>Sign in</button>
      </form>
    </section>
  </main>`;
}
