import { describe, expect, it } from 'vitest';
import { textDirection } from './direction';

describe('textDirection', () => {
  it('runs Arabic and Hebrew right to left, with or without a region', () => {
    expect(textDirection('ar-SA')).toBe('rtl');
    expect(textDirection('ar')).toBe('rtl');
    expect(textDirection('he-IL')).toBe('rtl');
    expect(textDirection('HE')).toBe('rtl');
    expect(textDirection('fa_IR')).toBe('rtl');
  });

  it('runs every other language left to right', () => {
    for (const lang of ['en-US', 'de-DE', 'ja', 'hi', 'zh-TW', 'el-GR', '', 'arn']) {
      expect(textDirection(lang)).toBe('ltr');
    }
  });
});
