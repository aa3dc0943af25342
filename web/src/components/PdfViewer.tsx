// A PDF drawn page by page with pdf.js. This module (and pdf.js with it) is loaded
// only when a PDF element is shown: Elements.tsx imports it with React.lazy.
import { useEffect, useRef, useState } from 'react';
import { GlobalWorkerOptions, getDocument, type PDFDocumentLoadingTask, type PDFDocumentProxy, type RenderTask } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { t } from '../lib/i18n';
import { clampPage } from '../lib/pdf';

GlobalWorkerOptions.workerSrc = workerUrl;

export interface PdfViewerProps {
  url: string;
  name: string;
  /** 1-based page to open on (the element's `page`). */
  initialPage?: number | null;
  /** Called once when the document cannot be fetched or drawn. */
  onFail: (reason: string) => void;
}

export default function PdfViewer({ url, name, initialPage, onFail }: PdfViewerProps) {
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [page, setPage] = useState(1);
  const [drawn, setDrawn] = useState(0);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const failRef = useRef(onFail);
  failRef.current = onFail;

  // Fetch with the session's cookie, then hand pdf.js the bytes.
  useEffect(() => {
    const controller = new AbortController();
    let task: PDFDocumentLoadingTask | null = null;
    let cancelled = false;
    (async () => {
      const response = await fetch(url, { credentials: 'same-origin', signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = new Uint8Array(await response.arrayBuffer());
      if (cancelled) return;
      task = getDocument({ data });
      const opened = await task.promise;
      if (cancelled) return;
      setDoc(opened);
      setPage(clampPage(initialPage ?? 1, opened.numPages));
    })().catch((error: Error) => {
      if (!cancelled && error.name !== 'AbortError') failRef.current(error.message || String(error));
    });
    return () => {
      cancelled = true;
      controller.abort();
      if (task) void task.destroy();
    };
  }, [url, initialPage]);

  // Draw the current page at the box's width (sharp on high-density screens).
  useEffect(() => {
    if (!doc) return;
    let task: RenderTask | null = null;
    let cancelled = false;
    (async () => {
      const pdfPage = await doc.getPage(page);
      if (cancelled) return;
      const canvas = canvasRef.current;
      const box = boxRef.current;
      if (!canvas || !box) return;
      const base = pdfPage.getViewport({ scale: 1 });
      // The box's width, but a small page is not blown up past 1.5 times its size.
      const width = Math.max(200, Math.min(box.clientWidth || base.width, base.width * 1.5, 1200));
      const ratio = window.devicePixelRatio || 1;
      const viewport = pdfPage.getViewport({ scale: (width / base.width) * ratio });
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
      canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
      task = pdfPage.render({ canvas, viewport });
      await task.promise;
      if (!cancelled) setDrawn(page);
    })().catch((error: Error) => {
      if (!cancelled && error.name !== 'RenderingCancelledException') failRef.current(error.message || String(error));
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [doc, page]);

  const count = doc?.numPages ?? 0;
  return (
    <div className="pdf-viewer" ref={boxRef} data-testid="pdf-viewer" data-drawn-page={drawn || undefined}>
      {!doc && <p className="muted">{t('common.status.loading', 'Loading...')}</p>}
      <canvas
        ref={canvasRef}
        className="pdf-canvas"
        role="img"
        aria-label={count ? t('chat.elements.pdf.pageOf', 'Page {{page}} of {{count}}', { page, count }) + ` · ${name}` : name}
        hidden={!doc}
      />
      {count > 0 && (
        <nav className="pdf-nav" aria-label={name}>
          <button
            type="button"
            className="btn ghost"
            onClick={() => setPage((p) => clampPage(p - 1, count))}
            disabled={page <= 1}
            data-testid="pdf-previous"
          >
            ‹ {t('chat.elements.pdf.previous', 'Previous page')}
          </button>
          <span className="pdf-page-count" data-testid="pdf-page-count" aria-live="polite">
            {t('chat.elements.pdf.pageOf', 'Page {{page}} of {{count}}', { page, count })}
          </span>
          <button
            type="button"
            className="btn ghost"
            onClick={() => setPage((p) => clampPage(p + 1, count))}
            disabled={page >= count}
            data-testid="pdf-next"
          >
            {t('chat.elements.pdf.next', 'Next page')} ›
          </button>
        </nav>
      )}
    </div>
  );
}
