import { useLayoutEffect, useMemo, useRef } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { enclosingRun, topLevelItems, type Cot } from '../session/render';
import { useChat } from '../session/store';
import type { ActionDict, ElementDict } from '../types';
import { ActionButtons } from './Actions';
import { MessageView, RunError } from './Message';
import { Starters } from './Starters';
import { StepBox } from './StepBox';
import { Welcome } from './Welcome';

function groupBy<T extends { forId?: string | null }>(items: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    if (!item.forId) continue;
    const list = map.get(item.forId) ?? [];
    list.push(item);
    map.set(item.forId, list);
  }
  return map;
}

const NONE: never[] = [];

export function MessageList() {
  const { session, settings } = useApp();
  const store = session.store;
  const tree = useChat(store, (s) => s.tree);
  const loading = useChat(store, (s) => s.loading);
  const ask = useChat(store, (s) => s.ask);
  const threadId = useChat(store, (s) => s.threadId);
  const elements = useChat(store, (s) => s.elements);
  const actions = useChat(store, (s) => s.actions);
  const cot = (settings.ui.cot ?? 'full') as Cot;

  const items = useMemo(() => topLevelItems(tree, cot), [tree, cot]);
  const elementsFor = useMemo(() => groupBy<ElementDict>(elements), [elements]);
  const actionsFor = useMemo(() => groupBy<ActionDict>(actions), [actions]);
  const looseActions = useMemo(
    () => actions.filter((a) => !a.forId || !tree.nodes.has(a.forId)),
    [actions, tree],
  );
  const streaming = useMemo(() => {
    for (const step of tree.nodes.values()) if (step.streaming) return true;
    return false;
  }, [tree]);
  const hasUserMessage = useMemo(() => {
    for (const step of tree.nodes.values()) if (step.type === 'user_message') return true;
    return false;
  }, [tree]);

  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastUserCount = useRef(0);
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    let userCount = 0;
    for (const step of tree.nodes.values()) if (step.type === 'user_message') userCount++;
    const sentNow = userCount > lastUserCount.current;
    lastUserCount.current = userCount;
    const follow = sentNow
      ? settings.features.user_message_autoscroll !== false
      : settings.features.assistant_message_autoscroll !== false && stick.current;
    if (follow) element.scrollTop = element.scrollHeight;
  }, [tree, loading, settings.features]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
  };

  const thinking = loading && !streaming && !ask;
  // Until the conversation starts, the first page welcomes: the welcome, what the app
  // sent at chat start, then the starters, as one group in the middle.
  const firstPage = !hasUserMessage && !threadId;
  return (
    <div
      className={`messages${firstPage ? ' first-page' : ''}`}
      ref={scroller}
      onScroll={onScroll}
      data-testid="messages"
    >
      {firstPage && <Welcome />}
      <div
        className="messages-inner"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label={t('chat.messages.label', 'Conversation')}
      >
        {items.map((item) => {
          const step = tree.nodes.get(item.id);
          if (!step) return null;
          return item.kind === 'message' ? (
            <MessageView
              key={item.id}
              step={step}
              elements={elementsFor.get(item.id) ?? NONE}
              actions={actionsFor.get(item.id) ?? NONE}
              ask={ask && ask.msgId === item.id ? ask : null}
              loading={loading}
              run={enclosingRun(tree, step)}
            />
          ) : item.kind === 'error' ? (
            <RunError key={item.id} step={step} live />
          ) : (
            <StepBox key={item.id} id={item.id} tree={tree} cot={cot} elementsFor={elementsFor} />
          );
        })}
        {thinking && (
          <div className="thinking" role="status" data-testid="thinking">
            <span className="dot" />
            <span className="dot" />
            <span className="dot" />
            <span className="visually-hidden">{t('chat.messages.thinking', 'Thinking…')}</span>
          </div>
        )}
        {looseActions.length > 0 && (
          <ActionButtons actions={looseActions} ask={ask} />
        )}
      </div>
      {firstPage ? <Starters busy={loading} /> : !hasUserMessage && !loading && <Starters />}
    </div>
  );
}
