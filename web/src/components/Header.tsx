import { useRef, useState } from 'react';
import { useApp } from '../context';
import { api, apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { navigate } from '../lib/router';
import { useTheme } from '../lib/theme';
import { BookIcon, LogoutIcon, MenuIcon, MoonIcon, NewChatIcon, SunIcon } from './icons';
import { Markdown } from './Markdown';
import { Modal } from './Modal';

interface Props {
  hasSidebar: boolean;
  sidebarOpen: boolean;
  onToggleSidebar: () => void;
  chatProfile: string | null;
  onChatProfile: (name: string) => void;
}

export function Header({ hasSidebar, sidebarOpen, onToggleSidebar, chatProfile, onChatProfile }: Props) {
  const { settings, session, user, embedded } = useApp();
  const [theme, setTheme] = useTheme();
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [readmeOpen, setReadmeOpen] = useState(false);
  const newChatButton = useRef<HTMLButtonElement>(null);
  const ui = settings.ui;

  const startNewChat = () => {
    setConfirmOpen(false);
    void session.reset();
    if (!embedded) navigate('/');
    // After the dialog has closed (its content is inert until then).
    window.setTimeout(() => document.getElementById('composer-input')?.focus(), 0);
  };
  const onNewChat = () => {
    const hasMessages = session.store.current.tree.roots.length > 0;
    if (ui.confirm_new_chat !== false && hasMessages) setConfirmOpen(true);
    else startNewChat();
  };
  const logout = async () => {
    try {
      await api.post('/logout');
    } finally {
      window.location.href = apiUrl('/login');
    }
  };
  const nextTheme = theme === 'dark' ? 'light' : 'dark';

  return (
    <header className="app-header">
      <div className="header-left">
        {hasSidebar && (
          <button
            type="button"
            className="icon-btn"
            aria-label={t('threadHistory.sidebar.toggle', 'Toggle history')}
            aria-expanded={sidebarOpen}
            aria-controls="thread-sidebar"
            onClick={onToggleSidebar}
          >
            <MenuIcon />
          </button>
        )}
        <button
          ref={newChatButton}
          type="button"
          className="btn ghost new-chat"
          title={t('navigation.newChat.button', 'New chat')}
          onClick={onNewChat}
          data-testid="new-chat"
        >
          <NewChatIcon />
          {/* Hidden from sight on phones, never from assistive technology: it names the button. */}
          <span className="label">{t('navigation.newChat.button', 'New chat')}</span>
        </button>
        <h1 className="app-name">{ui.name}</h1>
        {settings.chatProfiles.length > 1 && (
          <label className="profile-select">
            <span className="visually-hidden">{t('chat.profile.label', 'Chat profile')}</span>
            <select
              value={chatProfile ?? ''}
              onChange={(event) => {
                session.setChatProfile(event.target.value);
                onChatProfile(event.target.value);
                void session.reset();
                navigate('/');
              }}
            >
              {settings.chatProfiles.map((profile) => (
                <option key={profile.name} value={profile.name}>
                  {profile.display_name || profile.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="header-right">
        {(ui.header_links ?? []).map((link) => (
          <a
            key={link.url}
            className="header-link"
            href={link.url}
            target={link.target ?? '_blank'}
            rel="noopener noreferrer"
          >
            {link.icon_url ? <img src={link.icon_url} alt="" width={18} height={18} /> : null}
            <span>{link.display_name || link.name}</span>
          </a>
        ))}
        {ui.github && (
          <a className="header-link" href={ui.github} target="_blank" rel="noopener noreferrer">
            GitHub
          </a>
        )}
        {settings.markdown && (
          <button
            type="button"
            className="icon-btn"
            aria-label={t('navigation.header.readme', 'Readme')}
            onClick={() => setReadmeOpen(true)}
          >
            <BookIcon />
          </button>
        )}
        <button
          type="button"
          className="icon-btn"
          aria-label={
            nextTheme === 'light'
              ? t('navigation.header.theme.toLight', 'Switch to light theme')
              : t('navigation.header.theme.toDark', 'Switch to dark theme')
          }
          data-testid="theme-toggle"
          onClick={() => setTheme(nextTheme)}
        >
          {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
        </button>
        {user && (
          <button
            type="button"
            className="icon-btn"
            aria-label={`${t('navigation.user.menu.logout', 'Logout')} (${user.display_name || user.identifier})`}
            title={user.display_name || user.identifier}
            onClick={() => void logout()}
          >
            <LogoutIcon />
          </button>
        )}
      </div>
      <Modal
        open={confirmOpen}
        title={t('navigation.newChat.dialog.title', 'Create new chat')}
        onClose={() => setConfirmOpen(false)}
        returnFocus={newChatButton}
      >
        <p>
          {t(
            'navigation.newChat.dialog.description',
            'This will clear your current chat history. Are you sure you want to continue?',
          )}
        </p>
        <div className="modal-actions">
          <button type="button" className="btn ghost" onClick={() => setConfirmOpen(false)}>
            {t('common.actions.cancel', 'Cancel')}
          </button>
          <button type="button" className="btn primary" onClick={startNewChat} autoFocus data-autofocus>
            {t('common.actions.confirm', 'Confirm')}
          </button>
        </div>
      </Modal>
      <Modal
        open={readmeOpen}
        title={t('navigation.header.readme', 'Readme')}
        onClose={() => setReadmeOpen(false)}
        wide
      >
        <Markdown content={settings.markdown ?? ''} />
      </Modal>
    </header>
  );
}
