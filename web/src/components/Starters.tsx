import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';

/** The app's starters; `busy` (the chat start still runs) disables them without hiding them. */
export function Starters({ busy = false }: { busy?: boolean }) {
  const { settings, session, readOnly } = useApp();
  const connected = useChat(session.store, (s) => s.connection === 'connected');
  const starters = settings.starters ?? [];
  const categories = settings.starterCategories ?? [];
  if (readOnly || (!starters.length && !categories.length)) return null;
  const send = (message: string, command?: string | null) => {
    session.sendMessage({ text: message, command: command ?? null });
  };
  const list = starters.length ? starters : categories.flatMap((category) => category.starters);
  return (
    <div className="starters" role="group" aria-label={t('chat.starters.label', 'Suggestions')}>
      {list.map((starter) => (
        <button
          key={starter.label}
          type="button"
          className="starter"
          data-testid="starter"
          disabled={!connected || busy}
          onClick={() => send(starter.message, starter.command)}
        >
          {starter.icon && <img src={starter.icon} alt="" width={20} height={20} />}
          <span>{starter.label}</span>
        </button>
      ))}
    </div>
  );
}
