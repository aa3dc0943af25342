import { useEffect, useRef, useState } from 'react';
import { useApp } from '../context';
import { api, ApiError, apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { navigate } from '../lib/router';
import type { ThreadDict, ThreadListRequest, ThreadPage } from '../types';
import { CloseIcon, PencilIcon, SearchIcon, ShareIcon, Spinner, TrashIcon } from './icons';
import { Modal } from './Modal';
import { GROUP_LABELS, groupOf, type Group } from '../lib/dates';

interface Props {
  open: boolean;
  currentThreadId: string | null;
  onClose: () => void;
  onNavigate: () => void;
}

export function ThreadSidebar({ open, currentThreadId, onClose, onNavigate }: Props) {
  const { session, settings, threadsVersion, refreshThreads } = useApp();
  const [threads, setThreads] = useState<ThreadDict[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [search, setSearch] = useState('');
  const [renaming, setRenaming] = useState<ThreadDict | null>(null);
  const [deleting, setDeleting] = useState<ThreadDict | null>(null);
  const [newName, setNewName] = useState('');
  const [sharing, setSharing] = useState<{ thread: ThreadDict; shared: boolean } | null>(null);
  const query = useRef(0);

  const load = async (more: boolean) => {
    const id = ++query.current;
    setLoading(true);
    try {
      const body: ThreadListRequest = {
        pagination: { first: search ? 20 : 35, ...(more && cursor ? { cursor } : {}) },
        filter: search ? { search } : {},
      };
      const page = await api.post<ThreadPage>('/project/threads', body);
      if (id !== query.current) return;
      setThreads((list) => (more ? [...list, ...page.data] : page.data));
      setCursor(page.pageInfo.endCursor ?? null);
      setHasMore(page.pageInfo.hasNextPage);
    } catch (error) {
      // 401: logged out; 404/405: a gateway without history routes. Neither is news.
      const quiet = error instanceof ApiError && [401, 404, 405].includes(error.status);
      if (id === query.current && !quiet) {
        session.store.toast(t('threadHistory.sidebar.error', 'Could not load past chats'), 'error');
      }
    } finally {
      if (id === query.current) setLoading(false);
    }
  };

  useEffect(() => {
    const timer = window.setTimeout(() => void load(false), search ? 300 : 0);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, threadsVersion]);

  // A new thread is stored (and named after its first message) a moment after the first
  // interaction: look again a few times until the open thread shows up with its name.
  const retries = useRef(0);
  useEffect(() => {
    retries.current = 0;
  }, [currentThreadId]);
  useEffect(() => {
    if (loading || search || !currentThreadId) return;
    if (threads.some((thread) => thread.id === currentThreadId && thread.name)) return;
    if (retries.current >= 8) return;
    retries.current += 1;
    const timer = window.setTimeout(() => void load(false), 250 * retries.current);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [threads, loading, currentThreadId, search]);

  const groups = new Map<Group, ThreadDict[]>();
  for (const thread of threads) {
    const group = groupOf(thread.createdAt);
    groups.set(group, [...(groups.get(group) ?? []), thread]);
  }

  const rename = async () => {
    if (!renaming) return;
    const name = newName.trim();
    setRenaming(null);
    if (!name) return;
    try {
      await api.put('/project/thread', { threadId: renaming.id, name });
      refreshThreads();
    } catch (error) {
      session.store.toast(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  };
  const remove = async () => {
    if (!deleting) return;
    const target = deleting;
    setDeleting(null);
    try {
      await api.del('/project/thread', { threadId: target.id });
      if (target.id === currentThreadId) {
        void session.reset();
        navigate('/');
      }
      refreshThreads();
    } catch (error) {
      session.store.toast(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  };
  const shareLink = (thread: ThreadDict) => `${window.location.origin}${apiUrl(`/share/${encodeURIComponent(thread.id)}`)}`;
  const setShared = async (thread: ThreadDict, isShared: boolean) => {
    try {
      await api.put('/project/thread/share', { threadId: thread.id, isShared });
      setSharing(isShared ? { thread, shared: true } : null);
      if (!isShared) session.store.toast(t('threadHistory.thread.unshared', 'This chat is no longer shared'), 'info');
    } catch (error) {
      setSharing(null);
      session.store.toast(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  };
  const copyLink = async (thread: ThreadDict) => {
    const link = shareLink(thread);
    try {
      await navigator.clipboard.writeText(link);
      session.store.toast(t('threadHistory.thread.copied', 'Link copied'), 'success');
    } catch {
      document.getElementById('share-link')?.focus();
      (document.getElementById('share-link') as HTMLInputElement | null)?.select();
    }
  };

  return (
    <>
      <div className="sidebar-scrim" hidden={!open} onClick={onClose} />
      <nav id="thread-sidebar" className={`thread-sidebar${open ? ' open' : ''}`} aria-label={t('threadHistory.sidebar.title', 'Past chats')} hidden={!open}>
        <div className="sidebar-head">
          <h2>{t('threadHistory.sidebar.title', 'Past chats')}</h2>
          <button type="button" className="icon-btn sidebar-close" aria-label={t('common.actions.close', 'Close')} onClick={onClose}>
            <CloseIcon />
          </button>
        </div>
        <div className="sidebar-search">
          <SearchIcon size={16} />
          <label className="visually-hidden" htmlFor="thread-search">
            {t('threadHistory.sidebar.filters.search', 'Search')}
          </label>
          <input id="thread-search" type="search" placeholder={t('threadHistory.sidebar.filters.search', 'Search')} value={search} onChange={(event) => setSearch(event.target.value)} />
        </div>
        <div className="thread-groups">
          {!threads.length && !loading && <p className="muted empty">{t('threadHistory.sidebar.empty', 'No threads found')}</p>}
          {(Object.keys(GROUP_LABELS) as Group[]).map((group) => {
            const list = groups.get(group);
            if (!list?.length) return null;
            const [key, fallback] = GROUP_LABELS[group];
            return (
              <section key={group} aria-label={t(key, fallback)}>
                <h3>{t(key, fallback)}</h3>
                <ul>
                  {list.map((thread) => (
                    <li key={thread.id} data-testid="thread-item" className={`thread-item${thread.id === currentThreadId ? ' current' : ''}`}>
                      <a
                        href={apiUrl(`/thread/${thread.id}`)}
                        aria-current={thread.id === currentThreadId ? 'page' : undefined}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(`/thread/${thread.id}`);
                          onNavigate();
                        }}
                      >
                        {thread.name || t('threadHistory.thread.untitled', 'Untitled')}
                      </a>
                      <span className="thread-actions">
                        <button type="button" className="icon-btn tiny" aria-label={`${t('threadHistory.thread.menu.rename', 'Rename')}: ${thread.name ?? ''}`} onClick={() => { setNewName(thread.name ?? ''); setRenaming(thread); }}>
                          <PencilIcon size={13} />
                        </button>
                        {settings.threadSharing && (
                          <button type="button" className="icon-btn tiny" aria-label={`${t('threadHistory.thread.menu.share', 'Share')}: ${thread.name ?? ''}`} onClick={() => {
                              setSharing({ thread, shared: false });
                              void setShared(thread, true);
                            }}>
                            <ShareIcon size={13} />
                          </button>
                        )}
                        <button type="button" className="icon-btn tiny" aria-label={`${t('threadHistory.thread.menu.delete', 'Delete')}: ${thread.name ?? ''}`} onClick={() => setDeleting(thread)}>
                          <TrashIcon size={13} />
                        </button>
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
          {loading && (
            <p className="muted empty" role="status">
              <Spinner size={14} /> {t('common.status.loading', 'Loading...')}
            </p>
          )}
          {hasMore && !loading && (
            <button type="button" className="btn ghost small load-more" onClick={() => void load(true)}>
              {t('threadHistory.sidebar.more', 'Load more')}
            </button>
          )}
        </div>
      </nav>
      <Modal open={renaming !== null} title={t('threadHistory.thread.actions.rename.title', 'Rename chat')} onClose={() => setRenaming(null)}>
        <form onSubmit={(event) => { event.preventDefault(); void rename(); }}>
          <label className="field">
            <span>{t('threadHistory.thread.name', 'Name')}</span>
            <input value={newName} onChange={(event) => setNewName(event.target.value)} autoFocus maxLength={255} />
          </label>
          <div className="modal-actions">
            <button type="button" className="btn ghost" onClick={() => setRenaming(null)}>{t('common.actions.cancel', 'Cancel')}</button>
            <button type="submit" className="btn primary">{t('common.actions.confirm', 'Confirm')}</button>
          </div>
        </form>
      </Modal>
      <Modal open={deleting !== null} title={t('threadHistory.thread.actions.delete.title', 'Delete chat')} onClose={() => setDeleting(null)}>
        <p>{t('threadHistory.thread.deleteConfirm', 'Delete “{{name}}”? This cannot be undone.', { name: deleting?.name ?? '' })}</p>
        <div className="modal-actions">
          <button type="button" className="btn ghost" onClick={() => setDeleting(null)}>{t('common.actions.cancel', 'Cancel')}</button>
          <button type="button" className="btn danger" onClick={() => void remove()}>{t('threadHistory.thread.menu.delete', 'Delete')}</button>
        </div>
      </Modal>
      <Modal open={sharing !== null} title={t('threadHistory.thread.shareTitle', 'Share this chat')} onClose={() => setSharing(null)}>
        {sharing && !sharing.shared && (
          <p className="muted" role="status">
            <Spinner size={14} /> {t('common.status.loading', 'Loading...')}
          </p>
        )}
        {sharing?.shared && (
          <>
            <p>{t('threadHistory.thread.shareDescription', 'Anyone signed in with the link can read this chat.')}</p>
            <label className="field">
              <span>{t('threadHistory.thread.shareLink', 'Share link')}</span>
              <input id="share-link" readOnly value={shareLink(sharing.thread)} onFocus={(event) => event.target.select()} />
            </label>
            <div className="modal-actions">
              <button type="button" className="btn ghost" onClick={() => void setShared(sharing.thread, false)}>
                {t('threadHistory.thread.unshare', 'Stop sharing')}
              </button>
              <button type="button" className="btn primary" onClick={() => void copyLink(sharing.thread)} autoFocus data-autofocus>
                {t('threadHistory.thread.copyLink', 'Copy link')}
              </button>
            </div>
          </>
        )}
      </Modal>
    </>
  );
}
