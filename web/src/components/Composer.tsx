import { useEffect, useId, useMemo, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import { microphoneSupported } from '../audio/recorder';
import { useApp } from '../context';
import { ApiError, uploadFile } from '../lib/api';
import { t } from '../lib/i18n';
import { escapeStopsReply } from '../lib/keys';
import { useChat } from '../session/store';
import type { Command } from '../types';
import { acceptAttribute, fileAllowed } from './Ask';
import { ChatSettingsDialog } from './ChatSettings';
import { ClipIcon, CloseIcon, GearIcon, SendIcon, Spinner, StopIcon } from './icons';
import { VoiceButton } from './VoiceButton';
import { FavoritesButton } from './Favorites';
import { McpButton } from '../mcp/McpPanel';

interface Attachment {
  key: string;
  file: File;
  progress: number;
  id?: string;
  error?: string;
  abort?: () => void;
}

export function Composer() {
  const { session, settings } = useApp();
  const store = session.store;
  const connection = useChat(store, (s) => s.connection);
  const loading = useChat(store, (s) => s.loading);
  const ask = useChat(store, (s) => s.ask);
  const commands = useChat(store, (s) => s.commands);
  const modes = useChat(store, (s) => s.modes);
  const chatSettings = useChat(store, (s) => s.chatSettings);
  const [text, setText] = useState('');
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [command, setCommand] = useState<Command | null>(null);
  const [modeChoice, setModeChoice] = useState<Record<string, string>>({});
  const [menuIndex, setMenuIndex] = useState(0);
  const [menuDismissed, setMenuDismissed] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const menuId = useId();
  const upload = settings.features.spontaneous_file_upload;
  const uploadEnabled = !!upload?.enabled;
  const audio = settings.features.audio;
  const voiceEnabled = !!audio?.enabled && microphoneSupported();
  const connected = connection === 'connected';
  const textAsk = ask?.spec.type === 'text';
  const blockedByAsk = !!ask && !textAsk;
  const busy = loading && !textAsk;

  // Escape anywhere on the chat screen stops a running reply.
  useEffect(() => {
    if (!busy) return;
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      const stop = escapeStopsReply({
        key: event.key,
        defaultPrevented: event.defaultPrevented,
        isComposing: event.isComposing,
        busy: true,
        dialogOpen: document.querySelector('dialog[open]') !== null,
      });
      if (!stop) return;
      event.preventDefault();
      session.stop();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [busy, session]);

  // A command the server marks selected starts selected.
  useEffect(() => {
    const selected = commands.find((c) => c.selected);
    if (selected) setCommand(selected);
    else setCommand((current) => (current && commands.some((c) => c.id === current.id) ? current : null));
  }, [commands]);

  useEffect(() => {
    setModeChoice((current) => {
      const next: Record<string, string> = {};
      for (const mode of modes) {
        const keep = mode.options.some((o) => o.id === current[mode.id]);
        next[mode.id] = keep
          ? current[mode.id]
          : (mode.options.find((o) => o.default) ?? mode.options[0])?.id ?? '';
      }
      return next;
    });
  }, [modes]);

  const openedOnce = useRef(false);
  useEffect(() => {
    if (chatSettings.length && settings.ui.default_chat_settings_open && !openedOnce.current) {
      openedOnce.current = true;
      setSettingsOpen(true);
    }
  }, [chatSettings, settings.ui.default_chat_settings_open]);

  // Grow with the text, up to a limit.
  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, 200)}px`;
  }, [text]);

  const menuOpen = !command && !menuDismissed && commands.length > 0 && /^\/\S*$/.test(text);
  const matches = useMemo(() => {
    if (!menuOpen) return [];
    const query = text.slice(1).toLowerCase();
    return commands.filter((c) => c.id.toLowerCase().includes(query) || c.description.toLowerCase().includes(query));
  }, [menuOpen, text, commands]);

  const pickCommand = (picked: Command) => {
    setCommand(picked);
    setText('');
    setMenuIndex(0);
    textarea.current?.focus();
  };

  const addFiles = (files: File[]) => {
    if (!uploadEnabled || !files.length) return;
    const maxFiles = upload?.max_files ?? 20;
    const maxMb = upload?.max_size_mb ?? 500;
    if (attachments.length + files.length > maxFiles) {
      store.toast(t('chat.ask.file.tooMany', 'At most {{count}} file(s)', { count: maxFiles }), 'warning');
      return;
    }
    for (const file of files) {
      if (file.size > maxMb * 1024 * 1024 || !fileAllowed(file, upload?.accept)) {
        store.toast(t('chat.input.fileRejected', '{{name}} cannot be attached', { name: file.name }), 'warning');
        continue;
      }
      const key = `${file.name}-${file.size}-${Math.random()}`;
      const query = new URLSearchParams({ session_id: session.sessionId });
      const job = uploadFile(`/project/file?${query}`, file, (progress) =>
        setAttachments((list) => list.map((a) => (a.key === key ? { ...a, progress } : a))),
      );
      setAttachments((list) => [...list, { key, file, progress: 0, abort: job.abort }]);
      job.promise
        .then(({ id }) => setAttachments((list) => list.map((a) => (a.key === key ? { ...a, id, progress: 1 } : a))))
        .catch((error) => {
          const detail = error instanceof ApiError ? error.detail : String(error);
          setAttachments((list) => list.map((a) => (a.key === key ? { ...a, error: detail } : a)));
        });
    }
  };

  // Files dropped anywhere on the page attach to the message (an ask's drop zone wins).
  const addFilesRef = useRef(addFiles);
  addFilesRef.current = addFiles;
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    if (!uploadEnabled) return;
    let depth = 0;
    const hasFiles = (event: globalThis.DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
    const enter = (event: globalThis.DragEvent) => {
      if (!hasFiles(event)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = (event: globalThis.DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) setDragging(false);
    };
    const over = (event: globalThis.DragEvent) => {
      if (hasFiles(event)) event.preventDefault();
    };
    const drop = (event: globalThis.DragEvent) => {
      depth = 0;
      setDragging(false);
      if (event.defaultPrevented || !event.dataTransfer?.files.length) return;
      event.preventDefault();
      addFilesRef.current(Array.from(event.dataTransfer.files));
    };
    document.addEventListener('dragenter', enter);
    document.addEventListener('dragleave', leave);
    document.addEventListener('dragover', over);
    document.addEventListener('drop', drop);
    return () => {
      document.removeEventListener('dragenter', enter);
      document.removeEventListener('dragleave', leave);
      document.removeEventListener('dragover', over);
      document.removeEventListener('drop', drop);
    };
  }, [uploadEnabled]);

  const uploading = attachments.some((a) => !a.id && !a.error);
  const canSend = connected && !busy && !blockedByAsk && !uploading && (text.trim().length > 0 || (!textAsk && attachments.some((a) => a.id)));

  const send = () => {
    if (!canSend) return;
    const content = text.trim();
    if (textAsk) {
      session.answerTextAsk(content);
    } else {
      const sent = session.sendMessage({
        text: content,
        command: command?.id ?? null,
        modes: modes.length ? modeChoice : null,
        fileIds: attachments.filter((a) => a.id).map((a) => a.id as string),
      });
      if (!sent) return;
      setAttachments([]);
      if (command && !command.persistent) setCommand(null);
    }
    setText('');
    setMenuDismissed(false);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (menuOpen && matches.length) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setMenuIndex((index) => (index + step + matches.length) % matches.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        pickCommand(matches[Math.min(menuIndex, matches.length - 1)]);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setMenuDismissed(true);
        return;
      }
    }
    if (event.key === 'Backspace' && !text && command) {
      setCommand(null);
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const onPaste = (event: ClipboardEvent) => {
    const files = Array.from(event.clipboardData.files);
    if (files.length && uploadEnabled) {
      event.preventDefault();
      addFiles(files);
    }
  };

  const placeholder = textAsk
    ? t('chat.input.answerPlaceholder', 'Type your answer here...')
    : t('chat.input.placeholder', 'Type your message here...');
  const buttonCommands = commands.filter((c) => c.button);
  const activeOption = menuOpen && matches.length ? `${menuId}-${Math.min(menuIndex, matches.length - 1)}` : undefined;

  return (
    <div className="composer-wrap">
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          {t('chat.input.dropFiles', 'Drop files here to attach them')}
        </div>
      )}
      <form
        className={`composer${!connected ? ' disabled' : ''}`}
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
        aria-label={t('chat.input.label', 'Message composer')}
      >
        {menuOpen && matches.length > 0 && (
          <ul className="command-menu" role="listbox" id={menuId} aria-label={t('chat.commands.label', 'Commands')}>
            {matches.map((c, index) => (
              <li
                key={c.id}
                id={`${menuId}-${index}`}
                role="option"
                aria-selected={index === Math.min(menuIndex, matches.length - 1)}
                onMouseDown={(event) => {
                  event.preventDefault();
                  pickCommand(c);
                }}
              >
                <strong>/{c.id}</strong> <span className="muted">{c.description}</span>
              </li>
            ))}
          </ul>
        )}
        {attachments.length > 0 && (
          <ul className="attachments" aria-label={t('chat.input.attachments', 'Attachments')}>
            {attachments.map((a) => (
              <li
                key={a.key}
                className={`chip attachment${a.error ? ' error' : ''}`}
                title={a.error}
                data-testid="attachment"
                data-state={a.error ? 'error' : a.id ? 'done' : 'uploading'}
              >
                {!a.id && !a.error && <Spinner size={12} />}
                <span>{a.file.name}</span>
                {!a.error && (
                  <progress
                    className="upload-progress"
                    max={1}
                    value={a.progress}
                    aria-label={t('chat.input.uploadProgress', 'Upload of {{name}}', { name: a.file.name })}
                  />
                )}
                {a.error && <span className="visually-hidden">{a.error}</span>}
                <button
                  type="button"
                  className="icon-btn tiny"
                  aria-label={t('chat.input.removeAttachment', 'Remove {{name}}', { name: a.file.name })}
                  onClick={() => {
                    a.abort?.();
                    setAttachments((list) => list.filter((x) => x.key !== a.key));
                  }}
                >
                  <CloseIcon size={12} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="composer-row">
          {command && (
            <span className="chip command-chip">
              /{command.id}
              <button
                type="button"
                className="icon-btn tiny"
                aria-label={t('chat.commands.clear', 'Clear command')}
                onClick={() => setCommand(null)}
              >
                <CloseIcon size={12} />
              </button>
            </span>
          )}
          <label htmlFor="composer-input" className="visually-hidden">
            {placeholder}
          </label>
          <textarea
            id="composer-input"
            ref={textarea}
            rows={1}
            value={text}
            placeholder={placeholder}
            aria-autocomplete={commands.length ? 'list' : undefined}
            aria-expanded={commands.length ? menuOpen && matches.length > 0 : undefined}
            aria-controls={menuOpen && matches.length ? menuId : undefined}
            aria-activedescendant={activeOption}
            data-testid="composer-input"
            onChange={(event) => {
              setText(event.target.value);
              setMenuDismissed(false);
              setMenuIndex(0);
            }}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
          />
        </div>
        <div className="composer-bar">
          <div className="composer-tools">
            {uploadEnabled && (
              <>
                <input
                  ref={fileInput}
                  type="file"
                  multiple={(upload?.max_files ?? 20) > 1}
                  accept={acceptAttribute(upload?.accept)}
                  className="visually-hidden"
                  tabIndex={-1}
                  aria-hidden="true"
                  onChange={(event) => {
                    addFiles(Array.from(event.target.files ?? []));
                    event.target.value = '';
                  }}
                />
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={t('chat.input.actions.attachFiles', 'Attach files')}
                  title={t('chat.input.actions.attachFiles', 'Attach files')}
                  disabled={!connected}
                  onClick={() => fileInput.current?.click()}
                >
                  <ClipIcon />
                </button>
              </>
            )}
            <McpButton />
            <FavoritesButton
              disabled={!connected}
              onUse={(favorite) => {
                setText(favorite);
                textarea.current?.focus();
              }}
            />
            {chatSettings.length > 0 && (
              <button
                type="button"
                className="icon-btn"
                aria-label={t('chat.settings.title', 'Settings')}
                title={t('chat.settings.title', 'Settings')}
                data-testid="open-chat-settings"
                onClick={() => setSettingsOpen(true)}
              >
                <GearIcon />
              </button>
            )}
            {buttonCommands.map((c) => (
              <button
                key={c.id}
                type="button"
                className={`btn small ${command?.id === c.id ? 'primary' : 'outline'}`}
                aria-pressed={command?.id === c.id}
                title={c.description}
                onClick={() => setCommand(command?.id === c.id ? null : c)}
              >
                {c.id}
              </button>
            ))}
            {modes.map((mode) => (
              <label key={mode.id} className="mode-select">
                <span className="visually-hidden">{mode.name}</span>
                <select
                  value={modeChoice[mode.id] ?? ''}
                  onChange={(event) => setModeChoice((m) => ({ ...m, [mode.id]: event.target.value }))}
                >
                  {mode.options.map((option) => (
                    <option key={option.id} value={option.id} title={option.description ?? undefined}>
                      {option.name}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          <div className="composer-end">
            {voiceEnabled && (
              <VoiceButton disabled={!connected || blockedByAsk} sampleRate={audio?.sample_rate || 24000} />
            )}
            {busy ? (
              <button
                type="button"
                className="send-btn stop"
                aria-label={t('chat.input.actions.stop', 'Stop task')}
                title={t('chat.input.actions.stop', 'Stop task')}
                data-testid="stop-button"
                aria-keyshortcuts="Escape"
                onClick={() => session.stop()}
              >
                <StopIcon />
              </button>
            ) : (
              <button
                type="submit"
                className="send-btn"
                aria-label={t('chat.input.actions.send', 'Send message')}
                title={t('chat.input.actions.send', 'Send message')}
                disabled={!canSend}
                data-testid="send-button"
              >
                <SendIcon />
              </button>
            )}
          </div>
        </div>
      </form>
      <ChatSettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
    </div>
  );
}
