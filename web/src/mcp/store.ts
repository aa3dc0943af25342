// Each chat session's MCP servers as this browser knows them (the worker holds the
// connections; a new chat starts with an empty list).

import { useSyncExternalStore } from 'react';
import type { McpServer } from './model';

const bySession = new Map<string, McpServer[]>();
const listeners = new Set<() => void>();
const EMPTY: McpServer[] = [];

export function mcpServers(sessionId: string): McpServer[] {
  return bySession.get(sessionId) ?? EMPTY;
}

export function setMcpServers(sessionId: string, change: (current: McpServer[]) => McpServer[]): void {
  bySession.set(sessionId, change(mcpServers(sessionId)));
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useMcpServers(sessionId: string): McpServer[] {
  return useSyncExternalStore(subscribe, () => mcpServers(sessionId));
}
