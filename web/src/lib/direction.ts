// Which way a language's text runs, for `<html dir>`.

// Scripts written right to left, by ISO 639 language code (the part before any region).
const RIGHT_TO_LEFT = new Set(['ar', 'he', 'iw', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

export function textDirection(language: string): 'ltr' | 'rtl' {
  const base = language.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return RIGHT_TO_LEFT.has(base) ? 'rtl' : 'ltr';
}
