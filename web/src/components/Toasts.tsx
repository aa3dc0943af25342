import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import { CloseIcon } from './icons';

export function Toasts() {
  const { session } = useApp();
  const toasts = useChat(session.store, (s) => s.toasts);
  return (
    <div className="toasts" role="region" aria-label={t('common.notifications', 'Notifications')}>
      <div aria-live="polite" aria-atomic="false">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className={`toast ${toast.type}`}
            role={toast.type === 'error' ? 'alert' : 'status'}
          >
            <span>{toast.message}</span>
            <button
              type="button"
              className="icon-btn small"
              aria-label={t('common.actions.close', 'Close')}
              onClick={() => session.store.dismissToast(toast.id)}
            >
              <CloseIcon size={14} />
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
