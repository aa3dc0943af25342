// Keyboard shortcuts that act on the whole chat screen.

export interface EscapeContext {
  key: string;
  /** Something nearer the focus (a menu, an editor) already handled the key. */
  defaultPrevented: boolean;
  /** An IME composition is under way: Escape cancels it, nothing else. */
  isComposing: boolean;
  /** A reply is running (the stop button shows). */
  busy: boolean;
  /** A modal dialog is open: Escape closes it. */
  dialogOpen: boolean;
}

/** Escape stops a running reply, unless a nearer control claims the key. */
export function escapeStopsReply(context: EscapeContext): boolean {
  return (
    context.key === 'Escape' &&
    context.busy &&
    !context.defaultPrevented &&
    !context.isComposing &&
    !context.dialogOpen
  );
}
