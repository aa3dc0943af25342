import { describe, expect, it } from 'vitest';
import { pdfFileName, pdfInline } from './pdf';

describe('pdfInline', () => {
  it('follows navigator.pdfViewerEnabled when the browser reports it', () => {
    expect(pdfInline({ pdfViewerEnabled: true })).toBe(true);
    expect(pdfInline({ pdfViewerEnabled: false, mimeTypes: [{ type: 'application/pdf' }] })).toBe(false);
  });

  it('falls back to the registered MIME types', () => {
    expect(pdfInline({ mimeTypes: [{ type: 'text/plain' }, { type: 'application/pdf' }] })).toBe(true);
    expect(pdfInline({ mimeTypes: [{ type: 'text/plain' }] })).toBe(false);
    const withNamedItem = { length: 1, namedItem: (name: string) => (name === 'application/pdf' ? {} : null) };
    expect(pdfInline({ mimeTypes: withNamedItem })).toBe(true);
  });

  it('says no when nothing tells', () => {
    expect(pdfInline({})).toBe(false);
    expect(pdfInline(undefined)).toBe(false);
  });
});

describe('pdfFileName', () => {
  it('adds .pdf only when the name has no extension', () => {
    expect(pdfFileName('report')).toBe('report.pdf');
    expect(pdfFileName('report.pdf')).toBe('report.pdf');
    expect(pdfFileName('Q3 results v2.PDF')).toBe('Q3 results v2.PDF');
  });
});
