// Whether this browser can draw a PDF inside the page.

export interface PdfNavigator {
  /** Standard flag: false when the browser has no built-in PDF viewer (or it is off). */
  pdfViewerEnabled?: boolean;
  mimeTypes?: { length: number; namedItem?: (name: string) => unknown } | ArrayLike<{ type: string }>;
}

/** True when an `<object type="application/pdf">` will show the document. */
export function pdfInline(nav: PdfNavigator | undefined): boolean {
  if (!nav) return false;
  if (typeof nav.pdfViewerEnabled === 'boolean') return nav.pdfViewerEnabled;
  // Older browsers: a registered PDF handler is the only sign.
  const types = nav.mimeTypes;
  if (!types) return false;
  const named = (types as { namedItem?: (name: string) => unknown }).namedItem;
  if (typeof named === 'function') return !!named.call(types, 'application/pdf');
  for (let i = 0; i < types.length; i += 1) {
    if ((types as ArrayLike<{ type: string }>)[i]?.type === 'application/pdf') return true;
  }
  return false;
}

/** The document's own name, with `.pdf` added when it has no extension. */
export function pdfFileName(name: string): string {
  return /\.[a-z0-9]{1,5}$/i.test(name) ? name : `${name}.pdf`;
}
