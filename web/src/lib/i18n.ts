// Translations from GET /project/translations; every lookup carries its English fallback.

import { api } from './api';
import { textDirection } from './direction';

type Dict = { [key: string]: string | Dict };

let dictionary: Dict = {};
let language = 'en-US';

export async function loadTranslations(lang: string): Promise<void> {
  language = lang;
  try {
    const body = await api.get<{ translation: Dict }>(
      `/project/translations?language=${encodeURIComponent(lang)}`,
    );
    dictionary = body?.translation ?? {};
  } catch {
    dictionary = {};
  }
  document.documentElement.lang = lang;
  document.documentElement.dir = textDirection(lang);
}

export function currentLanguage(): string {
  return language;
}

/** `t('chat.input.placeholder', 'Type a message')`; `{{name}}` placeholders come from vars. */
export function t(key: string, fallback: string, vars?: Record<string, string | number>): string {
  let node: string | Dict | undefined = dictionary;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') {
      node = undefined;
      break;
    }
    node = node[part];
  }
  let text = typeof node === 'string' ? node : fallback;
  if (vars) {
    for (const [name, value] of Object.entries(vars)) {
      text = text.split(`{{${name}}}`).join(String(value));
    }
  }
  return text;
}

const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

/** The page's `?language=` (the copilot widget's option), else the browser's language. */
export function browserLanguage(): string {
  const asked = new URLSearchParams(window.location.search).get('language');
  if (asked && LANGUAGE_TAG.test(asked)) return asked;
  const lang = navigator.language || 'en-US';
  return LANGUAGE_TAG.test(lang) ? lang : 'en-US';
}
