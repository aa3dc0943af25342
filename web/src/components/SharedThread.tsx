import { useEffect, useState } from 'react';
import { useApp } from '../context';
import { api, ApiError, apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { useTheme } from '../lib/theme';
import type { ThreadDict } from '../types';
import { MoonIcon, SunIcon } from './icons';
import { ThreadView } from './ThreadView';

export function SharedThread({ id }: { id: string }) {
  const { settings } = useApp();
  const [thread, setThread] = useState<ThreadDict | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [theme, setTheme] = useTheme();
  useEffect(() => {
    api
      .get<ThreadDict>(`/project/share/${encodeURIComponent(id)}`)
      .then(setThread)
      .catch((caught) => setError(caught instanceof ApiError && caught.status === 404 ? t('chat.thread.notFound', 'Conversation not found') : String(caught)));
  }, [id]);
  return (
    <div className="app shared">
      <div className="main-col">
        <header className="app-header">
          <div className="header-left">
            <h1 className="app-name">{settings.ui.name}</h1>
            {thread?.name && <span className="muted thread-title">{thread.name}</span>}
          </div>
          <div className="header-right">
            <button type="button" className="icon-btn" aria-label={t('navigation.header.theme.toggle', 'Toggle theme')} onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
              {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
            </button>
            <a className="btn ghost" href={apiUrl('/')}>
              {t('navigation.newChat.button', 'New chat')}
            </a>
          </div>
        </header>
        <main id="main" className="chat-main">
          {error && (
            <p className="center-page" role="alert">
              {error}
            </p>
          )}
          {thread && <ThreadView thread={thread} />}
        </main>
      </div>
    </div>
  );
}
