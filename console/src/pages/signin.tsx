import { useState } from 'preact/hooks';
import { signIn, type Session } from '../api';
import { Field, useLoad } from '../ui';
import { api } from '../api';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [credential, setCredential] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [options] = useLoad(() => api.get<{ oidc: boolean }>('/admin/session/config'), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(credential.trim()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Skyway console</h1>
      <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <Field label="Master key or OIDC token" hint="SKYWAY_MASTER_KEY; `npm start` prints where it is kept.">
          <input name="credential" type="password" autocomplete="current-password" required value={credential} onInput={(e) => setCredential(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? (
          <p id="signin-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      {options.state === 'ok' && options.data.oidc ? (
        <p class="sso">
          <a class="button" href="/admin/session/oidc/start">
            Sign in with your organisation (SSO)
          </a>
        </p>
      ) : null}
    </main>
  );
}
