// POST /mcp and DELETE /mcp (Chainlit's bodies); the gateway hands them to the worker.

import { api } from '../lib/api';
import type { McpServer, McpTransport } from './model';

interface McpShown {
  name: string;
  clientType: McpTransport;
  tools: { name: string }[];
  isUserProvided?: boolean;
  command?: string;
  url?: string;
}

interface McpAnswer {
  success: boolean;
  mcp: McpShown;
}

export type NewServer =
  | { name: string; clientType: 'stdio'; fullCommand: string }
  | { name: string; clientType: 'sse' | 'streamable-http'; url: string; headers: Record<string, string> };

function answered(body: McpAnswer, configured: boolean): McpServer {
  return shown(body.mcp, configured);
}

function shown(mcp: McpShown, configured: boolean): McpServer {
  return {
    name: mcp.name,
    type: mcp.clientType,
    state: 'connected',
    tools: mcp.tools.map((tool) => tool.name).sort(),
    configured,
    target: mcp.command ?? mcp.url,
  };
}

/** Connect a server the user describes. */
export async function connectServer(sessionId: string, server: NewServer): Promise<McpServer> {
  return answered(await api.post<McpAnswer>('/mcp', { sessionId, ...server }), false);
}

/** Connect (or look up, when the chat already opened it) a configured server by name. */
export async function connectConfigured(sessionId: string, name: string): Promise<McpServer> {
  return answered(await api.post<McpAnswer>('/mcp', { sessionId, name }), true);
}

export async function removeServer(sessionId: string, name: string): Promise<void> {
  await api.del('/mcp', { sessionId, name });
}

/** The session's servers as the worker stored them (Switchboard's GET /mcp). */
export async function listServers(sessionId: string): Promise<McpServer[]> {
  const body = await api.get<{ servers: McpShown[] }>(`/mcp?sessionId=${encodeURIComponent(sessionId)}`);
  return body.servers.map((mcp) => shown(mcp, mcp.isUserProvided === false));
}
