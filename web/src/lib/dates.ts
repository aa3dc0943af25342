// History groups by creation date, in the browser's local time (Chainlit's timeframes).

export type Group = 'today' | 'yesterday' | 'previous7days' | 'previous30days' | 'older';
export const GROUP_LABELS: Record<Group, [string, string]> = {
  today: ['threadHistory.sidebar.timeframes.today', 'Today'],
  yesterday: ['threadHistory.sidebar.timeframes.yesterday', 'Yesterday'],
  previous7days: ['threadHistory.sidebar.timeframes.previous7days', 'Previous 7 days'],
  previous30days: ['threadHistory.sidebar.timeframes.previous30days', 'Previous 30 days'],
  older: ['threadHistory.sidebar.timeframes.older', 'Older'],
};

export function groupOf(createdAt: string, now = new Date()): Group {
  const date = new Date(createdAt);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  const time = date.getTime();
  if (time >= startOfToday) return 'today';
  if (time >= startOfToday - day) return 'yesterday';
  if (time >= startOfToday - 7 * day) return 'previous7days';
  if (time >= startOfToday - 30 * day) return 'previous30days';
  return 'older';
}

