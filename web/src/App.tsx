import { useCallback, useEffect, useMemo, useState } from 'react';
import { ChatScreen } from './components/ChatScreen';
import { ElementPage } from './components/Elements';
import { EnvPage } from './components/EnvPage';
import { LoginCallback, LoginPage } from './components/LoginPage';
import { SharedThread } from './components/SharedThread';
import { AppContext, type AppContextValue } from './context';
import { api } from './lib/api';
import { currentLanguage, t } from './lib/i18n';
import { navigate, useRoute } from './lib/router';
import { ChatSession } from './session/session';
import type { AuthConfig, ProjectSettings, UserRef } from './types';

interface Props {
  authConfig: AuthConfig;
  user: UserRef | null;
}

function missingEnv(settings: ProjectSettings): boolean {
  const keys = settings.userEnv ?? [];
  if (!keys.length) return false;
  let stored: Record<string, string> = {};
  try {
    stored = JSON.parse(localStorage.getItem('userEnv') ?? '{}');
  } catch {
    /* unreadable: ask again */
  }
  return keys.some((key) => !stored[key]);
}

export function App({ authConfig, user }: Props) {
  const route = useRoute();
  const [settings, setSettings] = useState<ProjectSettings | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [chatProfile, setChatProfile] = useState<string | null>(null);
  const [threadsVersion, setThreadsVersion] = useState(0);
  const needsLogin = !!authConfig.requireLogin && !user;
  const copilot = route.name === 'copilot';
  const onAuthPage = route.name === 'login' || route.name === 'loginCallback';

  useEffect(() => {
    if (needsLogin && !onAuthPage) navigate('/login', { replace: true });
  }, [needsLogin, onAuthPage]);

  useEffect(() => {
    if (needsLogin || onAuthPage) return;
    const controller = new AbortController();
    const query = new URLSearchParams({ language: currentLanguage() });
    if (chatProfile) query.set('chat_profile', chatProfile);
    api
      .get<ProjectSettings>(`/project/settings?${query}`, controller.signal)
      .then((body) => {
        setSettings(body);
        if (!chatProfile && body.chatProfiles?.length) {
          const chosen = body.chatProfiles.find((p) => p.default) ?? body.chatProfiles[0];
          setChatProfile(chosen.name);
        }
      })
      .catch((error: Error) => {
        if (error.name !== 'AbortError') setSettingsError(error.message);
      });
    return () => controller.abort();
  }, [needsLogin, onAuthPage, chatProfile]);

  const session = useMemo(
    () =>
      new ChatSession({
        user,
        clientType: copilot ? 'copilot' : 'webapp',
        onAuthFailed: () => {
          if (authConfig.requireLogin) navigate('/login', { replace: true });
        },
      }),
    [user, authConfig.requireLogin, copilot],
  );
  useEffect(() => session.setChatProfile(chatProfile), [session, chatProfile]);
  useEffect(() => {
    document.title = settings?.ui.name ?? document.title;
  }, [settings]);

  const refreshThreads = useCallback(() => setThreadsVersion((v) => v + 1), []);

  if (route.name === 'login') return <LoginPage authConfig={authConfig} />;
  if (route.name === 'loginCallback') return <LoginCallback />;
  if (needsLogin) return null;
  if (settingsError) {
    return (
      <div className="center-page" role="alert">
        <h1>{t('common.status.error.serverConnection', 'Cannot reach the server')}</h1>
        <p>{settingsError}</p>
        <button type="button" className="btn primary" onClick={() => window.location.reload()}>
          {t('common.actions.retry', 'Retry')}
        </button>
      </div>
    );
  }
  if (!settings) {
    return (
      <div className="center-page" aria-busy="true">
        <span className="visually-hidden">{t('common.status.loading', 'Loading...')}</span>
      </div>
    );
  }
  // Chainlit connects only once a chat profile is chosen (reference §7.2 step 4).
  if (settings.chatProfiles?.length && !chatProfile) {
    return <div className="center-page" aria-busy="true" />;
  }
  if (route.name === 'env' || missingEnv(settings)) {
    return <EnvPage keys={settings.userEnv ?? []} masked={!!settings.maskUserEnv} />;
  }

  const value: AppContextValue = {
    authConfig,
    user,
    settings,
    session,
    readOnly: route.name === 'share',
    historyEnabled: settings.dataPersistence && !!user && !copilot,
    embedded: copilot,
    refreshThreads,
    threadsVersion,
  };
  return (
    <AppContext.Provider value={value}>
      {route.name === 'share' ? (
        <SharedThread id={route.id} />
      ) : route.name === 'element' ? (
        <ElementPage id={route.id} />
      ) : (
        <ChatScreen
          route={route}
          chatProfile={chatProfile}
          onChatProfile={(name) => setChatProfile(name)}
        />
      )}
    </AppContext.Provider>
  );
}
