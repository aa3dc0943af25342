import { useState } from 'react';
import { useApp } from '../context';
import { ApiError } from '../lib/api';
import { t } from '../lib/i18n';
import type { AskState } from '../session/store';
import type { ActionDict } from '../types';
import { Spinner } from './icons';

interface Props {
  actions: ActionDict[];
  ask: AskState | null;
}

/** Action buttons under a message; an action ask is answered by its own buttons. */
export function ActionButtons({ actions, ask }: Props) {
  const { session, readOnly } = useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const askKeys = ask?.spec.type === 'action' ? new Set(ask.spec.keys ?? []) : null;
  const run = async (action: ActionDict) => {
    if (askKeys?.has(action.id)) {
      session.answerAsk(action);
      return;
    }
    setBusy(action.id);
    try {
      await session.callAction(action);
    } catch (error) {
      const detail = error instanceof ApiError ? error.detail : String(error);
      session.store.toast(detail || t('common.status.error.default', 'Something went wrong'), 'error');
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className={`actions${askKeys ? ' asking' : ''}`} role="group" aria-label={t('chat.actions.label', 'Actions')}>
      {actions.map((action) => (
        <button
          key={action.id}
          type="button"
          className={`btn ${askKeys?.has(action.id) ? 'primary' : 'outline'} small`}
          title={action.tooltip || undefined}
          disabled={readOnly || busy !== null}
          data-testid="action"
          onClick={() => void run(action)}
        >
          {busy === action.id && <Spinner size={14} />}
          {action.label || action.name}
        </button>
      ))}
    </div>
  );
}
