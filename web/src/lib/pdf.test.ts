import { describe, expect, it } from 'vitest';
import { clampPage, pdfFileName } from './pdf';

describe('pdfFileName', () => {
  it('adds .pdf only when the name has no extension', () => {
    expect(pdfFileName('report')).toBe('report.pdf');
    expect(pdfFileName('report.pdf')).toBe('report.pdf');
    expect(pdfFileName('Q3 results v2.PDF')).toBe('Q3 results v2.PDF');
  });
});

describe('clampPage', () => {
  it('keeps a page within the document', () => {
    expect(clampPage(0, 3)).toBe(1);
    expect(clampPage(2, 3)).toBe(2);
    expect(clampPage(9, 3)).toBe(3);
    expect(clampPage(2.7, 3)).toBe(2);
    expect(clampPage(Number.NaN, 3)).toBe(1);
    expect(clampPage(4, 0)).toBe(1);
  });
});
