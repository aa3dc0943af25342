import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';
import { t } from '../lib/i18n';
import { CloseIcon } from './icons';

interface Props {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  returnFocus?: RefObject<HTMLElement | null>;
}

/** A native modal <dialog>: focus is trapped, Escape closes, focus returns on close. */
export function Modal({ open, title, onClose, children, wide, returnFocus }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // showModal() focuses the first focusable element (the Close button); React's
      // autoFocus ran before the dialog was open. Focus what the dialog is for instead.
      const target = dialog.querySelector<HTMLElement>(
        '[data-autofocus], .modal-body > :not(.modal-head) :is(input:not([type=hidden]):not([disabled]), textarea, select)',
      );
      target?.focus();
    }
    if (!open && dialog.open) {
      dialog.close();
      // The browser gives focus back to the opener; only fill in when it did not.
      if (document.activeElement === document.body) returnFocus?.current?.focus();
    }
  }, [open, returnFocus]);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        if (event.target === ref.current) onClose();
      }}
    >
      {open && (
        <div className="modal-body">
          <div className="modal-head">
            <h2 id={titleId}>{title}</h2>
            <button
              type="button"
              className="icon-btn"
              aria-label={t('common.actions.close', 'Close')}
              onClick={onClose}
            >
              <CloseIcon />
            </button>
          </div>
          {children}
        </div>
      )}
    </dialog>
  );
}
