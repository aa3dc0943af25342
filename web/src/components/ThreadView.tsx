import { useMemo } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { enclosingRun, topLevelItems, type Cot } from '../session/render';
import { MessageTree } from '../session/tree';
import type { ElementDict, ThreadDict } from '../types';
import { MessageView, RunError } from './Message';
import { StepBox } from './StepBox';

const NONE: never[] = [];

/** A persisted thread, read-only (shared links, or threads that cannot be resumed). */
export function ThreadView({ thread }: { thread: ThreadDict }) {
  const { settings } = useApp();
  const cot = (settings.ui.cot ?? 'full') as Cot;
  const tree = useMemo(() => {
    const builder = new MessageTree();
    builder.load(thread.steps ?? []);
    return builder.snapshot();
  }, [thread]);
  const elementsFor = useMemo(() => {
    const map = new Map<string, ElementDict[]>();
    for (const element of thread.elements ?? []) {
      if (!element.forId) continue;
      map.set(element.forId, [...(map.get(element.forId) ?? []), element]);
    }
    return map;
  }, [thread]);
  const items = useMemo(() => topLevelItems(tree, cot), [tree, cot]);
  return (
    <div className="messages" data-testid="thread-view">
      <div className="messages-inner" aria-label={thread.name ?? t('chat.messages.label', 'Conversation')}>
        <p className="readonly-note" role="note">
          {t('chat.thread.readOnly', 'This conversation is read-only.')}
        </p>
        {items.map((item) => {
          const step = tree.nodes.get(item.id);
          if (!step) return null;
          return item.kind === 'message' ? (
            <MessageView key={item.id} step={step} elements={elementsFor.get(item.id) ?? NONE} actions={NONE} ask={null} loading={false} readOnly run={enclosingRun(tree, step)} />
          ) : item.kind === 'error' ? (
            <RunError key={item.id} step={step} />
          ) : (
            <StepBox key={item.id} id={item.id} tree={tree} cot={cot} elementsFor={elementsFor} />
          );
        })}
      </div>
    </div>
  );
}
