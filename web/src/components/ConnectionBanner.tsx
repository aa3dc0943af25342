import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import { Spinner } from './icons';

export function ConnectionBanner() {
  const { session } = useApp();
  const connection = useChat(session.store, (s) => s.connection);
  const error = useChat(session.store, (s) => s.connectError);
  if (connection === 'reconnecting') {
    return (
      <div className="banner warning" role="status" data-testid="reconnecting">
        <Spinner />
        <span>{t('chat.status.reconnecting', 'Reconnecting…')}</span>
      </div>
    );
  }
  if (connection === 'failed') {
    return (
      <div className="banner error" role="alert">
        <span>
          {t('common.status.error.serverConnection', 'Cannot reach the server')}
          {error ? ` (${error})` : ''}
        </span>
        <button type="button" className="btn small" onClick={() => window.__switchboardSocket?.connect()}>
          {t('common.actions.retry', 'Retry')}
        </button>
      </div>
    );
  }
  return null;
}
