import { memo, useState } from 'react';
import { useApp } from '../context';
import { apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { messageTools, type EnclosingRun } from '../lib/messageTools';
import type { AskState } from '../session/store';
import type { ActionDict, ElementDict, Step } from '../types';
import { ActionButtons } from './Actions';
import { AskElement, AskFile } from './Ask';
import { ElementRefs, InlineElements } from './Elements';
import { FeedbackButtons } from './Feedback';
import { FavoriteStar, useFavoritesEnabled } from './Favorites';
import { AlertIcon, CheckIcon, CopyIcon, PencilIcon } from './icons';
import { Markdown } from './Markdown';

interface Props {
  step: Step;
  elements: ElementDict[];
  actions: ActionDict[];
  ask: AskState | null;
  loading: boolean;
  readOnly?: boolean;
  /** The run the message was sent in (copy and thumbs belong to replies). */
  run?: EnclosingRun;
}

export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1500);
  };
  const label = copied
    ? t('chat.messages.actions.copy.success', 'Copied!')
    : t('chat.messages.actions.copy.button', 'Copy to clipboard');
  return (
    <button
      type="button"
      className="icon-btn small"
      aria-label={label}
      title={label}
      data-testid="copy-message"
      onClick={() => void copy()}
    >
      {copied ? <CheckIcon size={15} /> : <CopyIcon size={15} />}
    </button>
  );
}

function Content({ step }: { step: Step }) {
  const { settings } = useApp();
  const userPlain = step.type === 'user_message' && settings.features.user_message_markdown === false;
  if (step.language && step.type !== 'user_message') {
    return <Markdown content={'```' + step.language + '\n' + step.output + '\n```'} />;
  }
  return <Markdown content={step.output} streaming={!!step.streaming} plain={userPlain} />;
}

function UserMessage({ step, elements, loading, readOnly }: Props) {
  const { settings, session } = useApp();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(step.output);
  const canEdit = settings.features.edit_message !== false && !readOnly;
  const favorites = useFavoritesEnabled() && !readOnly;
  const save = () => {
    setEditing(false);
    if (draft.trim() && draft !== step.output) session.editMessage(step, draft);
  };
  return (
    <article className="msg user" data-testid="user-message" aria-label={t('chat.messages.you', 'You')}>
      {editing ? (
        <form
          className="edit-form"
          onSubmit={(event) => {
            event.preventDefault();
            save();
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${step.id}`}>
            {t('chat.messages.edit.label', 'Edit your message')}
          </label>
          <textarea
            id={`edit-${step.id}`}
            value={draft}
            autoFocus
            rows={Math.min(8, draft.split('\n').length + 1)}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                // Handled here: Escape cancels the edit, it does not stop a reply.
                event.preventDefault();
                setEditing(false);
              }
              if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
                event.preventDefault();
                save();
              }
            }}
          />
          <div className="edit-actions">
            <button type="button" className="btn ghost small" onClick={() => setEditing(false)}>
              {t('common.actions.cancel', 'Cancel')}
            </button>
            <button type="submit" className="btn primary small">
              {t('chat.messages.edit.save', 'Save & send')}
            </button>
          </div>
        </form>
      ) : (
        <div className="bubble">
          <Content step={step} />
          <InlineElements elements={elements} />
          <ElementRefs elements={elements} />
        </div>
      )}
      {!editing && (
        <div className="msg-tools">
          {canEdit && (
            <button
              type="button"
              className="icon-btn small"
              aria-label={t('chat.messages.edit.button', 'Edit message')}
              title={t('chat.messages.edit.button', 'Edit message')}
              disabled={loading}
              onClick={() => {
                setDraft(step.output);
                setEditing(true);
              }}
            >
              <PencilIcon size={15} />
            </button>
          )}
          {favorites && <FavoriteStar step={step} disabled={loading} />}
          <CopyButton text={step.output} />
        </div>
      )}
    </article>
  );
}

function AssistantMessage({ step, elements, actions, ask, readOnly, run }: Props) {
  const { settings, user } = useApp();
  const author = step.name || settings.ui.name;
  const avatar = settings.ui.default_avatar_file_url || apiUrl(`/avatars/${encodeURIComponent(avatarId(author))}`);
  const tools = messageTools(step, run, {
    signedIn: !!user,
    dataPersistence: !!settings.dataPersistence,
    readOnly: !!readOnly,
  });
  // An element being asked about is shown as the ask's form, not twice.
  const askElement = ask?.spec.type === 'element' ? ask.spec.element_id : null;
  const shown = askElement ? elements.filter((e) => e.id !== askElement) : elements;
  return (
    <article
      className={`msg assistant${step.isError ? ' error' : ''}`}
      aria-busy={!!step.streaming}
      data-testid="assistant-message"
      data-streaming={step.streaming ? 'true' : 'false'}
    >
      <img className="avatar" src={avatar} alt="" width={28} height={28} />
      <div className="msg-body">
        <div className="msg-author">{author}</div>
        <div className="msg-content">
          <Content step={step} />
        </div>
        <InlineElements elements={shown} />
        <ElementRefs elements={shown} />
        {ask?.spec.type === 'file' && <AskFile ask={ask} />}
        {ask?.spec.type === 'element' && <AskElement ask={ask} elements={elements} />}
        {actions.length > 0 && <ActionButtons actions={actions} ask={ask} />}
        {(tools.copy || tools.feedback) && (
          <div className="msg-tools">
            {tools.copy && <CopyButton text={step.output} />}
            {tools.feedback && <FeedbackButtons step={step} />}
          </div>
        )}
      </div>
    </article>
  );
}

/**
 * A run that failed (its callback raised, or its worker was lost): said in the
 * conversation, with the error's text when there is one. `live` announces it.
 */
export function RunError({ step, live }: { step: Step; live?: boolean }) {
  const detail = (step.output ?? '').trim();
  return (
    <article
      className="msg assistant error run-error"
      role={live ? 'alert' : undefined}
      data-testid="run-error"
    >
      <span className="run-error-icon">
        <AlertIcon size={20} />
      </span>
      <div className="msg-body">
        <div className="msg-content">
          <p className="run-error-title">
            {t('chat.messages.runError', 'Something went wrong while answering.')}
          </p>
          {detail && <p className="run-error-detail">{detail}</p>}
        </div>
      </div>
    </article>
  );
}

function avatarId(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_ .-]/g, '').trim();
  return clean || 'default';
}

export const MessageView = memo(function MessageView(props: Props) {
  return props.step.type === 'user_message' ? <UserMessage {...props} /> : <AssistantMessage {...props} />;
});
