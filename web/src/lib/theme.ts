// Light/dark theme: the user's choice in localStorage, else the server default.

import { useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';

const KEY = 'theme';
const listeners = new Set<() => void>();
let theme: Theme = 'dark';

declare global {
  interface Window {
    __SB_DEFAULT_THEME__?: string;
  }
}

function stored(): Theme | null {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

function apply(): void {
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.classList.toggle('dark', theme === 'dark');
  root.style.colorScheme = theme;
}

export function initTheme(serverDefault?: string | null): void {
  const fallback = serverDefault ?? window.__SB_DEFAULT_THEME__;
  theme = stored() ?? (fallback === 'light' ? 'light' : 'dark');
  apply();
}

export function setTheme(next: Theme): void {
  theme = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    /* private mode: the choice lasts for this page */
  }
  apply();
  for (const listener of listeners) listener();
}

export function useTheme(): [Theme, (next: Theme) => void] {
  const value = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => theme,
  );
  return [value, setTheme];
}
