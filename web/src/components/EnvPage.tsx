import { useState } from 'react';
import { apiUrl } from '../lib/api';
import { t } from '../lib/i18n';

/** The values of `project.user_env`, kept in localStorage and sent in the socket auth. */
export function EnvPage({ keys, masked }: { keys: string[]; masked: boolean }) {
  const [values, setValues] = useState<Record<string, string>>(() => {
    try {
      return JSON.parse(localStorage.getItem('userEnv') ?? '{}');
    } catch {
      return {};
    }
  });
  return (
    <div className="login-page">
      <main className="login-card">
        <h1>{t('env.title', 'Required settings')}</h1>
        <p className="muted">{t('env.description', 'This app needs these values. They stay in this browser.')}</p>
        <form
          className="login-form"
          onSubmit={(event) => {
            event.preventDefault();
            localStorage.setItem('userEnv', JSON.stringify(values));
            window.location.replace(apiUrl('/'));
          }}
        >
          {keys.map((key) => (
            <label key={key} className="field">
              <span>{key}</span>
              <input type={masked ? 'password' : 'text'} required value={values[key] ?? ''} onChange={(event) => setValues((v) => ({ ...v, [key]: event.target.value }))} />
            </label>
          ))}
          <button type="submit" className="btn primary wide">
            {t('common.actions.submit', 'Submit')}
          </button>
        </form>
      </main>
    </div>
  );
}
