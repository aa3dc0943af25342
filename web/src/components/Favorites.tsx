// Favourite messages ([features] favorites, a signed-in user): a star on the user's
// own messages, and a composer button listing the favourites to reuse one.
import { useEffect, useId, useRef, useState } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import type { Step, StepDict } from '../types';
import { CloseIcon, StarIcon } from './icons';

/** Whether this user can have favourites here. */
export function useFavoritesEnabled(): boolean {
  const { settings, user, readOnly } = useApp();
  return !!settings.features.favorites && !!user && !readOnly;
}

/** The star on a message: pressed while the message is a favourite. */
export function FavoriteStar({ step, disabled }: { step: Step; disabled?: boolean }) {
  const { session } = useApp();
  const listed = useChat(session.store, (s) => s.favorites.some((f) => f.id === step.id));
  const favorite = listed || !!step.metadata?.favorite;
  const label = favorite
    ? t('chat.favorites.remove', 'Remove from favourites')
    : t('chat.messages.favorite', 'Favorite');
  return (
    <button
      type="button"
      className={`icon-btn small favorite-star${favorite ? ' on' : ''}`}
      aria-pressed={favorite}
      aria-label={t('chat.messages.favorite', 'Favorite')}
      title={label}
      data-testid="favorite-star"
      disabled={disabled}
      onClick={() => session.toggleFavorite(step, !favorite)}
    >
      <StarIcon size={15} filled={favorite} />
    </button>
  );
}

function preview(step: StepDict): string {
  return (step.output ?? '').replace(/\s+/g, ' ').trim();
}

function shortDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleDateString();
}

/** The composer's favourites button and its list: choosing one puts it in the composer. */
export function FavoritesButton({ disabled, onUse }: { disabled?: boolean; onUse: (text: string) => void }) {
  const { session } = useApp();
  const enabled = useFavoritesEnabled();
  const favorites = useChat(session.store, (s) => s.favorites);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        // Closing the list, not stopping a reply.
        event.preventDefault();
        setOpen(false);
        button.current?.focus();
      }
    };
    const onPointer = (event: PointerEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  if (!enabled) return null;
  const headline = t('chat.favorites.headline', 'Favourite messages');
  return (
    <div className="favorites" ref={box}>
      <button
        ref={button}
        type="button"
        className="icon-btn"
        aria-label={t('chat.favorites.use', 'Reuse a favourite message')}
        title={t('chat.favorites.use', 'Reuse a favourite message')}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        data-testid="favorites-button"
        disabled={disabled}
        onClick={() => setOpen((o) => !o)}
      >
        <StarIcon size={18} />
      </button>
      {open && (
        <div className="favorites-panel" id={panelId} role="group" aria-label={headline} data-testid="favorites-panel">
          <p className="favorites-headline">{headline}</p>
          {favorites.length === 0 ? (
            <div className="favorites-empty">
              <p>{t('chat.favorites.empty.title', 'No favourites yet')}</p>
              <p className="muted">
                {t(
                  'chat.favorites.empty.description',
                  'Star a message you sent, here or in an earlier chat, to keep it for later',
                )}
              </p>
            </div>
          ) : (
            <ul className="favorites-list">
              {favorites.map((step) => (
                <li key={`${step.threadId ?? ''}/${step.id ?? ''}`} className="favorite-item" data-testid="favorite-item">
                  <button
                    type="button"
                    className="favorite-use"
                    autoFocus={step === favorites[0]}
                    onClick={() => {
                      onUse(step.output ?? '');
                      setOpen(false);
                    }}
                  >
                    <span className="favorite-text">{preview(step)}</span>
                    <span className="favorite-date muted">{shortDate(step.createdAt)}</span>
                  </button>
                  <button
                    type="button"
                    className="icon-btn tiny"
                    aria-label={t('chat.favorites.remove', 'Remove from favourites')}
                    title={t('chat.favorites.remove', 'Remove from favourites')}
                    data-testid="favorite-remove"
                    onClick={() => session.toggleFavorite(step, false)}
                  >
                    <CloseIcon size={12} />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
