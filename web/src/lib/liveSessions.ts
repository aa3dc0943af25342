// The sessions this tab still holds on the server, by thread: a reload (or opening the
// thread again) rejoins the live session instead of showing the thread read-only.
// Kept in sessionStorage, so per tab and only as long as the tab lives.

const KEY = 'switchboard.liveSessions';
/** Enough for the chats one tab visits within a disconnect grace. */
export const LIMIT = 20;

type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

function storage(): StorageLike | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: nothing is remembered
  }
}

function read(store: StorageLike): [string, string][] {
  try {
    const value: unknown = JSON.parse(store.getItem(KEY) ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter(
      (entry): entry is [string, string] =>
        Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string',
    );
  } catch {
    return [];
  }
}

function write(store: StorageLike, entries: [string, string][]): void {
  try {
    store.setItem(KEY, JSON.stringify(entries.slice(-LIMIT)));
  } catch {
    /* full or disabled: forgetting is safe */
  }
}

/** The session last seen live on `threadId`, if this tab holds one. */
export function liveSession(threadId: string, store = storage()): string | null {
  if (!store) return null;
  return read(store).find(([thread]) => thread === threadId)?.[1] ?? null;
}

export function rememberSession(threadId: string, sessionId: string, store = storage()): void {
  if (!store) return;
  const others = read(store).filter(([thread, session]) => thread !== threadId && session !== sessionId);
  write(store, [...others, [threadId, sessionId]]);
}

/** The session ended (or was refused): no thread rejoins it. */
export function forgetSession(sessionId: string, store = storage()): void {
  if (!store) return;
  const entries = read(store);
  const kept = entries.filter(([, session]) => session !== sessionId);
  if (kept.length !== entries.length) write(store, kept);
}
