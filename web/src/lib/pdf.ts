// Helpers for PDF elements (drawn by components/PdfViewer.tsx with pdf.js).

/** The document's own name, with `.pdf` added when it has no extension. */
export function pdfFileName(name: string): string {
  return /\.[a-z0-9]{1,5}$/i.test(name) ? name : `${name}.pdf`;
}

/** A 1-based page number kept within a document of `count` pages. */
export function clampPage(page: number, count: number): number {
  if (!Number.isFinite(page) || count < 1) return 1;
  return Math.min(Math.max(1, Math.trunc(page)), count);
}
