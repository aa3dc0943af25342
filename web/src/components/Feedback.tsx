import { useState } from 'react';
import { useApp } from '../context';
import { api, ApiError } from '../lib/api';
import { t } from '../lib/i18n';
import type { FeedbackIn, Step } from '../types';
import { ThumbDownIcon, ThumbUpIcon } from './icons';
import { Modal } from './Modal';

/** Thumbs up/down with an optional comment: PUT /feedback; the same thumb again removes it. */
export function FeedbackButtons({ step }: { step: Step }) {
  const { session } = useApp();
  const [pending, setPending] = useState<0 | 1 | null>(null);
  const [comment, setComment] = useState('');
  const current = step.feedback?.value;

  const remove = async () => {
    const id = step.feedback?.id;
    if (!id) return;
    try {
      await api.del('/feedback', { feedbackId: id });
      session.store.tree.patch(step.id, { feedback: null });
      session.store.touchTree();
    } catch (error) {
      session.store.toast(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  };

  const submit = async () => {
    if (pending === null) return;
    const feedback: FeedbackIn = {
      forId: step.id,
      value: pending,
      threadId: session.store.current.threadId,
      id: step.feedback?.id ?? undefined,
      comment: comment.trim() || undefined,
    };
    setPending(null);
    try {
      const body = await api.put<{ success: boolean; feedbackId: string }>('/feedback', {
        feedback,
        sessionId: session.sessionId,
      });
      session.store.tree.patch(step.id, { feedback: { ...feedback, id: body.feedbackId } });
      session.store.touchTree();
    } catch (error) {
      session.store.toast(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  };

  const click = (value: 0 | 1) => {
    if (current === value) {
      void remove();
      return;
    }
    setComment(step.feedback?.comment ?? '');
    setPending(value);
  };

  return (
    <>
      <button
        type="button"
        className="icon-btn small"
        aria-pressed={current === 1}
        aria-label={t('chat.messages.feedback.positive', 'Helpful')}
        title={t('chat.messages.feedback.positive', 'Helpful')}
        onClick={() => click(1)}
      >
        <ThumbUpIcon size={15} />
      </button>
      <button
        type="button"
        className="icon-btn small"
        aria-pressed={current === 0}
        aria-label={t('chat.messages.feedback.negative', 'Not helpful')}
        title={t('chat.messages.feedback.negative', 'Not helpful')}
        onClick={() => click(0)}
      >
        <ThumbDownIcon size={15} />
      </button>
      <Modal
        open={pending !== null}
        title={t('chat.messages.feedback.dialog.title', 'Add a comment')}
        onClose={() => setPending(null)}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label className="field">
            <span>{t('chat.messages.feedback.dialog.comment', 'Comment (optional)')}</span>
            <textarea rows={4} value={comment} onChange={(event) => setComment(event.target.value)} autoFocus />
          </label>
          <div className="modal-actions">
            <button type="button" className="btn ghost" onClick={() => setPending(null)}>
              {t('common.actions.cancel', 'Cancel')}
            </button>
            <button type="submit" className="btn primary">
              {t('chat.messages.feedback.dialog.submit', 'Submit feedback')}
            </button>
          </div>
        </form>
      </Modal>
    </>
  );
}
