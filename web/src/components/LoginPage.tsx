import { useEffect, useState } from 'react';
import { api, ApiError, apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { searchParam } from '../lib/router';
import { useTheme } from '../lib/theme';
import type { AuthConfig } from '../types';
import { Spinner } from './icons';

const PROVIDER_NAMES: Record<string, string> = {
  github: 'GitHub',
  google: 'Google',
  'azure-ad': 'Microsoft',
  'azure-ad-hybrid': 'Microsoft',
  okta: 'Okta',
  auth0: 'Auth0',
  descope: 'Descope',
  'aws-cognito': 'Amazon Cognito',
  gitlab: 'GitLab',
  keycloak: 'Keycloak',
  generic: 'SSO',
};

function errorText(code: string | null): string | null {
  if (!code) return null;
  const key = code.toLowerCase();
  if (key === 'credentialssignin') return t('auth.login.errors.credentialssignin', 'Sign in failed: check your credentials');
  if (key === 'oauthsignin') return t('auth.login.errors.oauthsignin', 'Sign in with this provider failed');
  return t('auth.login.errors.default', 'Unable to sign in');
}

/** After a successful login: start the app afresh at its root. */
async function finishLogin(): Promise<void> {
  await api.get('/user');
  window.location.replace(apiUrl('/'));
}

export function LoginPage({ authConfig }: { authConfig: AuthConfig }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(errorText(searchParam('error')));
  const [busy, setBusy] = useState(false);
  const [theme] = useTheme();
  const image = authConfig.ui?.login_page_image;
  const filter = theme === 'dark' ? authConfig.ui?.login_page_image_dark_filter : authConfig.ui?.login_page_image_filter;

  useEffect(() => {
    if (!authConfig.requireLogin) {
      window.location.replace(apiUrl('/'));
      return;
    }
    if (!authConfig.headerAuth) return;
    setBusy(true);
    api
      .post<{ success: boolean }>('/auth/header')
      .then((body) => (body?.success ? finishLogin() : setError(errorText('default'))))
      .catch((caught) => setError(errorText(caught instanceof ApiError ? caught.detail : 'default')))
      .finally(() => setBusy(false));
  }, [authConfig]);

  const submit = async () => {
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.append('username', username);
    form.append('password', password);
    try {
      const body = await api.post<{ success: boolean }>('/login', form);
      if (body?.success) await finishLogin();
      else setError(errorText('default'));
    } catch (caught) {
      setError(errorText(caught instanceof ApiError ? caught.detail : 'default'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <main className="login-card">
        <div className="login-brand">
          <img src={apiUrl('/logo?theme=' + theme)} alt="" width={32} height={32} />
          <span>{document.title}</span>
        </div>
        <h1>{t('auth.login.title', 'Sign in to continue')}</h1>
        {error && (
          <p className="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        {authConfig.passwordAuth && (
          <form
            className="login-form"
            onSubmit={(event) => {
              event.preventDefault();
              void submit();
            }}
          >
            <label className="field">
              <span>{t('auth.login.form.email.label', 'Email')}</span>
              <input name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} autoFocus />
            </label>
            <label className="field">
              <span>{t('auth.login.form.password.label', 'Password')}</span>
              <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
            </label>
            <button type="submit" className="btn primary wide" disabled={busy}>
              {busy && <Spinner size={14} />}
              {t('auth.login.form.actions.signin', 'Sign in')}
            </button>
          </form>
        )}
        {authConfig.passwordAuth && authConfig.oauthProviders.length > 0 && (
          <div className="divider">
            <span>{t('auth.login.form.alternativeText.or', 'OR')}</span>
          </div>
        )}
        {authConfig.oauthProviders.map((provider) => (
          <a key={provider} className="btn outline wide" href={apiUrl(`/auth/oauth/${encodeURIComponent(provider)}`)}>
            {t('auth.login.form.continueWith', 'Continue with {{provider}}', { provider: PROVIDER_NAMES[provider] ?? provider })}
          </a>
        ))}
        {authConfig.headerAuth && busy && (
          <p className="muted" role="status">
            <Spinner size={14} /> {t('common.status.loading', 'Loading...')}
          </p>
        )}
      </main>
      {image && <div className="login-image" style={{ backgroundImage: `url(${JSON.stringify(image)})`, filter: filter ?? undefined }} aria-hidden="true" />}
    </div>
  );
}

export function LoginCallback() {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const code = searchParam('error');
    if (code) {
      window.location.replace(apiUrl(`/login?error=${encodeURIComponent(code)}`));
      return;
    }
    finishLogin().catch(() => setError(errorText('oauthsignin')));
  }, []);
  return (
    <div className="center-page" role={error ? 'alert' : 'status'}>
      {error ? (
        <>
          <p>{error}</p>
          <a className="btn primary" href={apiUrl('/login')}>
            {t('common.actions.goBack', 'Go back')}
          </a>
        </>
      ) : (
        <Spinner size={24} />
      )}
    </div>
  );
}
