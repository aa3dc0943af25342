import { lazy, Suspense, useEffect, useState } from 'react';
import { useApp } from '../context';
import { api } from '../lib/api';
import { navigate, searchParam } from '../lib/router';
import { useChat } from '../session/store';
import { t } from '../lib/i18n';
import { pdfFileName } from '../lib/pdf';
import type { ElementDict } from '../types';
import { FileIcon } from './icons';
import { Markdown } from './Markdown';
import { Modal } from './Modal';
import { PlotlyChart } from './Plotly';

/** Fetch an element's body (text or JSON) from its url: the wire carries no content. */
function useElementBody(url: string | undefined, json: boolean) {
  const [state, setState] = useState<{ data: unknown; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    fetch(url, { credentials: 'same-origin', signal: controller.signal })
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const text = await response.text();
        setState({ data: json ? JSON.parse(text) : text, error: null });
      })
      .catch((error: Error) => {
        if (error.name !== 'AbortError') setState({ data: null, error: error.message });
      });
    return () => controller.abort();
  }, [url, json]);
  return state;
}

function TextElement({ element, url }: { element: ElementDict; url?: string }) {
  const { data, error } = useElementBody(url, false);
  if (error) return <p className="form-error">{error}</p>;
  if (data == null) return <p className="muted">{t('common.status.loading', 'Loading...')}</p>;
  const text = String(data);
  return element.language ? (
    <Markdown content={'```' + element.language + '\n' + text + '\n```'} />
  ) : (
    <Markdown content={text} />
  );
}

interface SplitFrame {
  columns: string[];
  index?: unknown[];
  data: unknown[][];
}

function DataframeElement({ element, url }: { element: ElementDict; url?: string }) {
  const { data, error } = useElementBody(url, true);
  if (error) return <p className="form-error">{error}</p>;
  const frame = data as SplitFrame | null;
  if (!frame?.columns) return <p className="muted">{t('common.status.loading', 'Loading...')}</p>;
  return (
    <div className="table-wrap dataframe">
      <table>
        <caption className="visually-hidden">{element.name}</caption>
        <thead>
          <tr>
            {frame.columns.map((column, i) => (
              <th key={i} scope="col">
                {String(column)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {frame.data.slice(0, 500).map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c}>{cell === null ? '' : String(cell)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {frame.data.length > 500 && (
        <p className="muted">{t('chat.elements.rows', 'Showing 500 of {{count}} rows', { count: frame.data.length })}</p>
      )}
    </div>
  );
}

function PlotlyElement({ element, url }: { element: ElementDict; url?: string }) {
  const { data, error } = useElementBody(url, true);
  if (error) return <p className="form-error">{error}</p>;
  if (!data) return <p className="muted">{t('common.status.loading', 'Loading...')}</p>;
  return <PlotlyChart figure={data} name={element.name} />;
}

const PdfViewer = lazy(() => import('./PdfViewer'));

/**
 * Save a file under `name`: the file route's Content-Disposition names it after the
 * element (often without an extension), which would win over the link's `download`.
 * Fetched into a blob URL the name is ours; if the fetch fails the link does its default.
 */
function saveAs(event: React.MouseEvent<HTMLAnchorElement>, url: string, name: string) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  fetch(url, { credentials: 'same-origin' })
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.blob();
    })
    .then((blob) => {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    })
    .catch(() => window.location.assign(url));
}

/** A PDF drawn with pdf.js (loaded on first use), paged; always with links to open and save it. */
function PdfElement({ element, url }: { element: ElementDict; url: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  const src = element.page ? `${url}#page=${element.page}` : url;
  return (
    <div className="el-pdf-box" data-state={failed ? 'failed' : 'viewer'}>
      {failed ? (
        <p className="muted" data-testid="pdf-unavailable" title={failed}>
          {t('chat.elements.pdf.unavailable', 'This browser cannot show the PDF here.')}
        </p>
      ) : (
        <Suspense fallback={<p className="muted">{t('common.status.loading', 'Loading...')}</p>}>
          <PdfViewer url={url} name={element.name} initialPage={element.page} onFail={setFailed} />
        </Suspense>
      )}
      <div className="el-pdf-links">
        <a className="el-file" href={src} target="_blank" rel="noopener noreferrer" data-testid="pdf-open">
          <FileIcon size={16} />
          <span>{t('chat.elements.pdf.open', 'Open {{name}}', { name: element.name })}</span>
        </a>
        <a
          className="header-link"
          href={url}
          download={pdfFileName(element.name)}
          data-testid="pdf-download"
          onClick={(event) => saveAs(event, url, pdfFileName(element.name))}
        >
          {t('chat.elements.pdf.download', 'Download')}
        </a>
      </div>
    </div>
  );
}

export function ElementView({ element }: { element: ElementDict }) {
  return (
    <div className={`element el-${element.type}-wrap`} data-testid="element" data-type={element.type} data-name={element.name}>
      <ElementBody element={element} />
    </div>
  );
}

function ElementBody({ element }: { element: ElementDict }) {
  const { session } = useApp();
  const url = session.fileUrl(element);
  const size = element.size ?? 'medium';
  switch (element.type) {
    case 'image':
      return url ? (
        <a href={url} target="_blank" rel="noopener noreferrer" className={`el-image ${size}`}>
          <img src={url} alt={element.name} loading="lazy" />
        </a>
      ) : null;
    case 'text':
      return (
        <div className="el-text">
          <TextElement element={element} url={url} />
        </div>
      );
    case 'pdf':
      return url ? <PdfElement element={element} url={url} /> : null;
    case 'audio':
      return url ? (
        <figure className="el-audio">
          <figcaption>{element.name}</figcaption>
          <audio controls src={url} autoPlay={!!element.autoPlay} />
        </figure>
      ) : null;
    case 'video':
      return url ? <video className={`el-video ${size}`} controls src={url} aria-label={element.name} /> : null;
    case 'dataframe':
      return <DataframeElement element={element} url={url} />;
    case 'plotly':
      return <PlotlyElement element={element} url={url} />;
    case 'custom':
      return (
        <div className="el-custom">
          <strong>{element.name}</strong>
          <pre className="json">{JSON.stringify(element.props ?? {}, null, 2)}</pre>
        </div>
      );
    default:
      return url ? (
        <a className="el-file" href={url} download={element.name}>
          <FileIcon size={16} />
          <span>{element.name}</span>
        </a>
      ) : null;
  }
}

export function InlineElements({ elements }: { elements: ElementDict[] }) {
  const inline = elements.filter((e) => e.display === 'inline' || !e.display);
  if (!inline.length) return null;
  return (
    <div className="elements">
      {inline.map((element) => (
        <ElementView key={element.id} element={element} />
      ))}
    </div>
  );
}

/** Side and page elements: side ones open the side panel, page ones their own page. */
export function ElementRefs({ elements }: { elements: ElementDict[] }) {
  const { session, readOnly } = useApp();
  const [page, setPage] = useState<ElementDict | null>(null);
  const refs = elements.filter((e) => e.display === 'side' || e.display === 'page');
  if (!refs.length) return null;
  const open = (element: ElementDict) => {
    if (element.display === 'side') {
      session.store.set({ sidebar: { title: element.name, elements: [element], key: null } });
      return;
    }
    // Read-only views have no live session to come back to: show the page in a dialog.
    if (readOnly) {
      setPage(element);
      return;
    }
    const thread = element.threadId || session.store.current.threadId;
    navigate(`/element/${encodeURIComponent(element.id)}${thread ? `?thread=${encodeURIComponent(thread)}` : ''}`);
  };
  return (
    <div className="element-refs">
      {refs.map((element) => (
        <button
          key={element.id}
          type="button"
          className="chip"
          data-testid="element-ref"
          data-display={element.display}
          onClick={() => open(element)}
        >
          <FileIcon size={14} />
          {element.name}
        </button>
      ))}
      <Modal open={page !== null} title={page?.name ?? ''} onClose={() => setPage(null)} wide>
        {page && <ElementView element={page} />}
      </Modal>
    </div>
  );
}

/** `/element/:id`: one element on its own page (display "page"). */
export function ElementPage({ id }: { id: string }) {
  const { session } = useApp();
  const known = useChat(session.store, (s) => s.elements.find((e) => e.id === id) ?? null);
  const [fetched, setFetched] = useState<ElementDict | null>(null);
  const [error, setError] = useState<string | null>(null);
  const thread = searchParam('thread') ?? session.store.current.threadId;
  useEffect(() => {
    if (known || !thread) return;
    const controller = new AbortController();
    api
      .get<ElementDict | null>(
        `/project/thread/${encodeURIComponent(thread)}/element/${encodeURIComponent(id)}`,
        controller.signal,
      )
      .then((element) => (element ? setFetched(element) : setError(t('chat.elements.notFound', 'Element not found'))))
      .catch((caught: Error) => {
        if (caught.name !== 'AbortError') setError(t('chat.elements.notFound', 'Element not found'));
      });
    return () => controller.abort();
  }, [known, thread, id]);
  const element = known ?? fetched;
  const back = () => {
    if (window.history.length > 1) window.history.back();
    else navigate(thread ? `/thread/${encodeURIComponent(thread)}` : '/');
  };
  return (
    <div className="element-page">
      <header className="app-header">
        <div className="header-left">
          <button type="button" className="btn ghost" onClick={back} autoFocus>
            ← {t('common.actions.goBack', 'Go back')}
          </button>
          <h1 className="app-name">{element?.name ?? ''}</h1>
        </div>
      </header>
      <main id="main" className="element-page-body">
        {element && <ElementView element={element} />}
        {!element && !error && <p className="muted">{t('common.status.loading', 'Loading...')}</p>}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </main>
    </div>
  );
}
