// Light/dark theme: the user's choice in localStorage, else the server default, with
// the app's public/theme.json variables (window.theme, set by the gateway) on top.

import { useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';
export type ThemeVariables = Partial<Record<Theme, Record<string, string>>>;

const KEY = 'theme';
const listeners = new Set<() => void>();
let theme: Theme = 'dark';
let applied: string[] = [];

declare global {
  interface Window {
    __SB_DEFAULT_THEME__?: string;
    theme?: ThemeVariables;
  }
}

// Chainlit's theme.json names and the variables of ours each one sets. Its colours are
// HSL triplets ("210 80% 40%"); ours are whole colours.
const ALIASES: Record<string, string[]> = {
  '--background': ['--bg'],
  '--foreground': ['--text'],
  '--card': ['--surface', '--bg-soft'],
  '--muted': ['--bg-muted'],
  '--muted-foreground': ['--text-muted'],
  '--border': ['--border'],
  '--primary': ['--accent', '--accent-hover', '--focus'],
  '--primary-foreground': ['--accent-text'],
  '--accent': ['--accent-soft'],
  '--destructive': ['--danger'],
  '--font-sans': ['--font'],
  '--font-mono': ['--mono'],
  '--radius': ['--radius'],
};
// Ours: a theme variable of the same name must not replace it with Chainlit's meaning.
const OWN = new Set(Object.values(ALIASES).flat());
const HSL_TRIPLET = /^-?[\d.]+(deg)?\s+[\d.]+%\s+[\d.]+%(\s*\/\s*[\d.]+%?)?$/;

/** The CSS custom properties one theme's variables set: Chainlit's names kept, ours mapped. */
export function themeProperties(variables: Record<string, string> | undefined): Map<string, string> {
  const properties = new Map<string, string>();
  for (const [name, raw] of Object.entries(variables ?? {})) {
    if (!name.startsWith('--') || typeof raw !== 'string') continue;
    const value = raw.trim();
    if (!OWN.has(name)) properties.set(name, value);
    const colour = HSL_TRIPLET.test(value) ? `hsl(${value})` : value;
    for (const target of ALIASES[name] ?? []) properties.set(target, colour);
  }
  return properties;
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
  for (const name of applied) root.style.removeProperty(name);
  const properties = themeProperties(window.theme?.[theme]);
  for (const [name, value] of properties) root.style.setProperty(name, value);
  applied = [...properties.keys()];
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
