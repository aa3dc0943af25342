import { useEffect, useId, useMemo, useRef, useState, type DragEvent } from 'react';
import { useApp } from '../context';
import { ApiError, uploadFile } from '../lib/api';
import { t } from '../lib/i18n';
import type { AskState } from '../session/store';
import type { ElementDict } from '../types';
import { FileIcon } from './icons';

/** The `accept` attribute for an input, from a list of mime globs or a {mime: [exts]} map. */
export function acceptAttribute(accept: string[] | Record<string, string[]> | null | undefined): string | undefined {
  if (!accept) return undefined;
  if (Array.isArray(accept)) return accept.join(',') || undefined;
  return Object.entries(accept)
    .flatMap(([mime, extensions]) => [mime, ...extensions])
    .join(',');
}

function mimeMatches(pattern: string, mime: string): boolean {
  if (pattern === '*/*' || pattern === '*') return true;
  if (pattern.endsWith('/*')) return mime.startsWith(pattern.slice(0, -1));
  return pattern === mime;
}

export function fileAllowed(file: File, accept: string[] | Record<string, string[]> | null | undefined): boolean {
  if (!accept) return true;
  const mime = file.type || 'application/octet-stream';
  if (Array.isArray(accept)) return !accept.length || accept.some((p) => mimeMatches(p, mime));
  return Object.entries(accept).some(
    ([pattern, extensions]) =>
      mimeMatches(pattern, mime) &&
      (!extensions.length || extensions.some((ext) => file.name.toLowerCase().endsWith(ext.toLowerCase()))),
  );
}

interface Upload {
  file: File;
  progress: number;
  error?: string;
}

export function AskFile({ ask }: { ask: AskState }) {
  const { session } = useApp();
  const spec = ask.spec;
  const maxFiles = spec.max_files ?? 1;
  const maxMb = spec.max_size_mb ?? 2;
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const busy = uploads.length > 0 && !error;

  const submit = async (files: File[]) => {
    setError(null);
    if (files.length > maxFiles) {
      setError(t('chat.ask.file.tooMany', 'At most {{count}} file(s)', { count: maxFiles }));
      return;
    }
    for (const file of files) {
      if (file.size > maxMb * 1024 * 1024) {
        setError(t('chat.ask.file.tooLarge', '{{name}} is larger than {{size}} MB', { name: file.name, size: maxMb }));
        return;
      }
      if (!fileAllowed(file, spec.accept)) {
        setError(t('chat.ask.file.type', '{{name}}: this file type is not accepted', { name: file.name }));
        return;
      }
    }
    setUploads(files.map((file) => ({ file, progress: 0 })));
    const query = new URLSearchParams({ session_id: session.sessionId });
    if (ask.parentId) query.set('ask_parent_id', ask.parentId);
    try {
      const ids = await Promise.all(
        files.map(
          (file, index) =>
            uploadFile(`/project/file?${query}`, file, (progress) =>
              setUploads((list) => list.map((u, i) => (i === index ? { ...u, progress } : u))),
            ).promise,
        ),
      );
      session.answerAsk(ids.map(({ id }) => ({ id })));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.detail : String(caught));
      setUploads([]);
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!busy) void submit(Array.from(event.dataTransfer.files));
  };

  return (
    <div
      className={`ask-file${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      data-testid="ask-file"
    >
      <FileIcon size={22} />
      <div className="ask-file-text">
        <label htmlFor={inputId}>
          {t('chat.ask.file.prompt', 'Drag and drop or browse for files')}
        </label>
        <span className="muted">
          {t('chat.ask.file.limits', 'Up to {{count}} file(s), {{size}} MB each', { count: maxFiles, size: maxMb })}
        </span>
      </div>
      <input
        ref={input}
        id={inputId}
        type="file"
        className="visually-hidden"
        accept={acceptAttribute(spec.accept)}
        multiple={maxFiles > 1}
        disabled={busy}
        onChange={(event) => void submit(Array.from(event.target.files ?? []))}
      />
      <button type="button" className="btn outline small" disabled={busy} onClick={() => input.current?.click()}>
        {t('chat.ask.file.browse', 'Browse')}
      </button>
      {uploads.map((upload) => (
        <div key={upload.file.name} className="upload-row">
          <span>{upload.file.name}</span>
          <progress max={1} value={upload.progress} aria-label={upload.file.name} />
        </div>
      ))}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type PropValue = string | number | boolean;

function isEditable(value: unknown): value is PropValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function labelFor(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Custom-element asks (§1.5): the element's props become a form. Strings, numbers and
 * booleans are editable fields; other props are sent back unchanged. Submit answers
 * `{submitted: true, ...props}`, Cancel `{submitted: false}`.
 */
export function AskElement({ ask, elements }: { ask: AskState; elements: ElementDict[] }) {
  const { session } = useApp();
  const element = elements.find((e) => e.id === ask.spec.element_id);
  const props = useMemo(() => element?.props ?? {}, [element?.props]);
  const [values, setValues] = useState<Record<string, unknown>>(props);
  useEffect(() => setValues(props), [props]);
  const formId = useId();
  const editable = Object.entries(values).filter((entry): entry is [string, PropValue] => isEditable(entry[1]));
  return (
    <form
      className="ask-element"
      data-testid="ask-element"
      aria-label={element?.name ?? t('chat.ask.element.label', 'Form')}
      onSubmit={(event) => {
        event.preventDefault();
        session.answerAsk({ ...values, submitted: true });
      }}
    >
      {element?.name && <h3 className="ask-element-title">{element.name}</h3>}
      {editable.map(([key, value]) => {
        const id = `${formId}-${key}`;
        if (typeof value === 'boolean') {
          return (
            <label key={key} className="check-row">
              <input type="checkbox" checked={value} onChange={(event) => setValues((v) => ({ ...v, [key]: event.target.checked }))} />
              {labelFor(key)}
            </label>
          );
        }
        return (
          <div key={key} className="field">
            <label htmlFor={id}>{labelFor(key)}</label>
            <input
              id={id}
              type={typeof value === 'number' ? 'number' : 'text'}
              value={String(value)}
              onChange={(event) =>
                setValues((v) => ({
                  ...v,
                  [key]: typeof value === 'number' ? Number(event.target.value) : event.target.value,
                }))
              }
            />
          </div>
        );
      })}
      <div className="actions">
        <button type="submit" className="btn primary small">
          {t('common.actions.submit', 'Submit')}
        </button>
        <button type="button" className="btn outline small" onClick={() => session.answerAsk({ submitted: false })}>
          {t('common.actions.cancel', 'Cancel')}
        </button>
      </div>
    </form>
  );
}
