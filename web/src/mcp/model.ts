// MCP servers of the current chat: what the gateway's /mcp answers and what the panel shows.

export type McpTransport = 'stdio' | 'sse' | 'streamable-http';

/** `[features.mcp]` as `/project/settings` shows it. */
export interface McpFeature {
  enabled?: boolean;
  stdio?: { enabled?: boolean; allowed_executables?: string[] };
  sse?: { enabled?: boolean };
  'streamable-http'?: { enabled?: boolean };
  /** Configured servers, by name and type only. */
  servers?: { name: string; type: McpTransport }[];
  user_servers?: { enabled?: boolean };
}

export type McpState = 'connecting' | 'connected' | 'failed';

export interface McpServer {
  name: string;
  type: McpTransport;
  state: McpState;
  tools: string[];
  /** From `[[features.mcp.servers]]`: it can be reconnected, not edited. */
  configured: boolean;
  /** What the last attempt was refused with. */
  error?: string;
  /** stdio: the command line; sse / streamable-http: the URL. */
  target?: string;
}

/** The transports a user may add, in the order the form offers them. */
export function userTransports(feature: McpFeature | undefined): McpTransport[] {
  if (!feature?.enabled) return [];
  const out: McpTransport[] = [];
  if (feature.stdio?.enabled !== false) out.push('stdio');
  // The gateway says whether users may add URL servers at all (user_servers.enabled).
  const urls = feature.user_servers?.enabled !== false;
  if (urls && feature['streamable-http']?.enabled !== false) out.push('streamable-http');
  if (urls && feature.sse?.enabled !== false) out.push('sse');
  return out;
}

export type ParsedHeaders = { headers: Record<string, string> } | { error: number };

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers typed one per line as `Name: value`; blank lines are skipped. On a malformed
 * line the answer is its 1-based number.
 */
export function parseHeaders(text: string): ParsedHeaders {
  const headers: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!HEADER_NAME.test(name) || !value) return { error: i + 1 };
    headers[name] = value;
  }
  return { headers };
}

/** Replace the server of the same name (case-insensitive, as the server compares) or add it. */
export function upsert(servers: McpServer[], server: McpServer): McpServer[] {
  const key = server.name.trim().toLowerCase();
  const at = servers.findIndex((s) => s.name.trim().toLowerCase() === key);
  if (at < 0) return [...servers, server];
  const next = servers.slice();
  next[at] = server;
  return next;
}

/** The configured servers first (in config order), each once, then the user's. */
export function withConfigured(servers: McpServer[], feature: McpFeature | undefined): McpServer[] {
  let out = servers;
  for (const entry of feature?.servers ?? []) {
    const known = out.some((s) => s.name.trim().toLowerCase() === entry.name.trim().toLowerCase());
    if (!known) {
      out = [...out, { name: entry.name, type: entry.type, state: 'connecting', tools: [], configured: true }];
    }
  }
  const configured = out.filter((s) => s.configured);
  return [...configured, ...out.filter((s) => !s.configured)];
}
