import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeAccessToken } from './copilot/frame';
import { api, ApiError } from './lib/api';
import { browserLanguage, loadTranslations } from './lib/i18n';
import { initTheme } from './lib/theme';
import './styles.css';
import type { AuthConfig, UserRef } from './types';

const NO_AUTH: AuthConfig = {
  requireLogin: false,
  passwordAuth: false,
  headerAuth: false,
  oauthProviders: [],
};

async function fetchUser(): Promise<UserRef | null> {
  try {
    return await api.get<UserRef | null>('/user');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

async function boot(): Promise<void> {
  initTheme();
  // The copilot widget's accessToken signs the frame in before anything asks who it is.
  await takeAccessToken(async () => (await fetchUser().catch(() => null)) !== null).catch(() => undefined);
  // Reference §7.2 step 2: these three in parallel; nothing renders before translations.
  const [authConfig, user] = await Promise.all([
    api.get<AuthConfig>('/auth/config').catch(() => NO_AUTH),
    fetchUser().catch(() => null),
    loadTranslations(browserLanguage()),
  ]);
  // The copilot widget's `theme` option arrives as ?theme= on its frame.
  initTheme(new URLSearchParams(window.location.search).get('theme') ?? authConfig.default_theme);
  const root = document.getElementById('root');
  if (!root) throw new Error('#root missing');
  createRoot(root).render(<App authConfig={authConfig} user={user} />);
}

void boot();
