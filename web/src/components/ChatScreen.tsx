import { useEffect, useState } from 'react';
import { useApp } from '../context';
import { api, basePath } from '../lib/api';
import { t } from '../lib/i18n';
import { listenToHost, reportThread } from '../copilot/frame';
import { liveSession } from '../lib/liveSessions';
import type { Route } from '../lib/router';
import { useChat } from '../session/store';
import type { ThreadDict } from '../types';
import { Composer } from './Composer';
import { ConnectionBanner } from './ConnectionBanner';
import { ElementSidebar } from './ElementSidebar';
import { Header } from './Header';
import { MessageList } from './MessageList';
import { TaskLists } from './TaskList';
import { ThreadSidebar } from './ThreadSidebar';
import { ThreadView } from './ThreadView';
import { Toasts } from './Toasts';

interface Props {
  route: Route;
  chatProfile: string | null;
  onChatProfile: (name: string) => void;
}

const NARROW = '(max-width: 900px)';

export function ChatScreen({ route, chatProfile, onChatProfile }: Props) {
  const { session, settings, historyEnabled, refreshThreads, embedded } = useApp();
  const store = session.store;
  const hasSidebar = historyEnabled && settings.ui.default_sidebar_state !== 'hidden';
  const [sidebarOpen, setSidebarOpen] = useState(
    () => settings.ui.default_sidebar_state !== 'closed' && !window.matchMedia(NARROW).matches,
  );
  const [readOnlyThread, setReadOnlyThread] = useState<ThreadDict | null>(null);
  const threadId = useChat(store, (s) => s.threadId);

  useEffect(() => {
    session.setHandlers({
      fetchFavorites: !!settings.features.favorites && historyEnabled,
      onFirstInteraction: (id) => {
        if (!historyEnabled) return;
        // The address now names the thread, so a reload resumes it.
        window.history.replaceState(null, '', `${basePath}/thread/${encodeURIComponent(id)}`);
        refreshThreads();
      },
    });
  }, [session, historyEnabled, refreshThreads, settings.features.favorites]);

  const routeThread = route.name === 'thread' ? route.id : null;
  useEffect(() => {
    session.setChatProfile(chatProfile);
    if (!routeThread) {
      setReadOnlyThread(null);
      void session.connect();
      return;
    }
    if (routeThread === store.current.threadId) {
      setReadOnlyThread(null);
      void session.connect();
      return;
    }
    const controller = new AbortController();
    // A thread whose session has ended: resumed when the app can (on_chat_resume),
    // else shown read-only.
    const resumeOrRead = () => {
      if (settings.threadResumable) {
        setReadOnlyThread(null);
        void (session.hasSocket ? session.reset(routeThread) : session.connect(routeThread));
        return;
      }
      api
        .get<ThreadDict>(`/project/thread/${encodeURIComponent(routeThread)}`, controller.signal)
        .then(setReadOnlyThread)
        .catch((error: Error) => {
          if (error.name !== 'AbortError') {
            store.toast(t('chat.thread.notFound', 'Conversation not found'), 'error');
          }
        });
      void session.connect();
    };
    // A thread whose session this tab left alive (a reload, or another thread opened
    // meanwhile): rejoin that session and go on with it.
    const live = liveSession(routeThread);
    if (live) {
      setReadOnlyThread(null);
      void session.rejoin(routeThread, live).then((joined) => {
        if (!joined && !controller.signal.aborted) resumeOrRead();
      });
    } else {
      resumeOrRead();
    }
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [routeThread, session, settings.threadResumable]);
  useEffect(() => session.setChatProfile(chatProfile), [session, chatProfile]);

  useEffect(() => {
    const forward = (event: MessageEvent) => {
      if (window.parent !== window && event.source === window.parent) {
        session.windowMessage(event.data);
      }
    };
    window.addEventListener('message', forward);
    return () => window.removeEventListener('message', forward);
  }, [session]);

  // In the copilot widget: the host page sends messages and starts new chats.
  useEffect(() => {
    if (!embedded) return;
    const stop = listenToHost(session);
    reportThread(session.store.current.threadId);
    return stop;
  }, [embedded, session]);

  const closeSidebarOnNarrow = () => {
    if (window.matchMedia(NARROW).matches) setSidebarOpen(false);
  };

  return (
    <div
      className={`app layout-${settings.ui.layout ?? 'default'}${hasSidebar && sidebarOpen ? ' sidebar-open' : ''}`}
    >
      <a
        href="#composer-input"
        className="skip-link"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('composer-input')?.focus();
        }}
      >
        {t('chat.input.skip', 'Skip to message input')}
      </a>
      {hasSidebar && (
        <ThreadSidebar
          open={sidebarOpen}
          currentThreadId={readOnlyThread?.id ?? threadId}
          onClose={() => setSidebarOpen(false)}
          onNavigate={closeSidebarOnNarrow}
        />
      )}
      <div className="main-col">
        <Header
          hasSidebar={hasSidebar}
          sidebarOpen={sidebarOpen}
          onToggleSidebar={() => setSidebarOpen((open) => !open)}
          chatProfile={chatProfile}
          onChatProfile={onChatProfile}
        />
        <ConnectionBanner />
        <main id="main" className="chat-main">
          {readOnlyThread ? <ThreadView thread={readOnlyThread} /> : <MessageList />}
        </main>
        {!readOnlyThread && <Composer />}
      </div>
      <ElementSidebar />
      <TaskLists />
      <Toasts />
    </div>
  );
}
