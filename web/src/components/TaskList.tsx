import { useEffect, useState } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import type { ElementDict } from '../types';
import { CheckIcon, CloseIcon, Spinner } from './icons';

interface Task {
  title: string;
  status: 'ready' | 'running' | 'failed' | 'done' | string;
  forId?: string | null;
}

interface TaskListBody {
  status: string;
  tasks: Task[];
}

function TaskListCard({ element }: { element: ElementDict }) {
  const { session } = useApp();
  const [body, setBody] = useState<TaskListBody | null>(null);
  const url = session.fileUrl(element);
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    fetch(url, { credentials: 'same-origin', signal: controller.signal })
      .then((response) => (response.ok ? response.json() : null))
      .then((json) => json && setBody(json))
      .catch(() => undefined);
    return () => controller.abort();
  }, [url]);
  if (!body) return null;
  const done = body.tasks.filter((task) => task.status === 'done').length;
  return (
    <section className="tasklist" aria-label={t('chat.tasklist.label', 'Tasks')}>
      <header>
        <strong>{t('chat.tasklist.label', 'Tasks')}</strong>
        <span className="muted">
          {body.status} · {done}/{body.tasks.length}
        </span>
      </header>
      <ol>
        {body.tasks.map((task, index) => (
          <li key={index} className={`task ${task.status}`}>
            <span className="task-icon" aria-hidden="true">
              {task.status === 'running' ? <Spinner size={14} /> : task.status === 'done' ? <CheckIcon size={14} /> : task.status === 'failed' ? <CloseIcon size={14} /> : '○'}
            </span>
            <span>{task.title}</span>
            <span className="visually-hidden">({task.status})</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function TaskLists() {
  const { session } = useApp();
  const tasklists = useChat(session.store, (s) => s.tasklists);
  const latest = tasklists[tasklists.length - 1];
  return latest ? <TaskListCard element={latest} /> : null;
}
