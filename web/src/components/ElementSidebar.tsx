import { useEffect, useRef } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import { ElementView } from './Elements';
import { CloseIcon } from './icons';

export function ElementSidebar() {
  const { session } = useApp();
  const sidebar = useChat(session.store, (s) => s.sidebar);
  const heading = useRef<HTMLHeadingElement>(null);
  const open = !!sidebar?.elements.length;
  useEffect(() => {
    if (open) heading.current?.focus();
  }, [open, sidebar?.key, sidebar?.elements]);
  if (!open || !sidebar) return null;
  return (
    <aside className="element-sidebar" aria-label={sidebar.title || t('chat.elements.sidebar', 'Details')}>
      <div className="sidebar-head">
        <h2 ref={heading} tabIndex={-1}>
          {sidebar.title || t('chat.elements.sidebar', 'Details')}
        </h2>
        <button type="button" className="icon-btn" aria-label={t('common.actions.close', 'Close')} onClick={() => session.store.set({ sidebar: null })}>
          <CloseIcon />
        </button>
      </div>
      <div className="element-sidebar-body">
        {sidebar.elements.map((element) => (
          <section key={element.id} aria-label={element.name}>
            {sidebar.elements.length > 1 && <h3>{element.name}</h3>}
            <ElementView element={element} />
          </section>
        ))}
      </div>
    </aside>
  );
}
