// The composer's MCP button and its dialog: the chat's servers (state, tools, remove)
// and a form to add one over the transports the app allows.

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { createPortal } from 'react-dom';
import { useApp } from '../context';
import { ApiError } from '../lib/api';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import { Modal } from '../components/Modal';
import { Spinner, TrashIcon } from '../components/icons';
import { connectConfigured, connectServer, listServers, removeServer, type NewServer } from './api';
import {
  parseHeaders,
  upsert,
  userTransports,
  withConfigured,
  type McpFeature,
  type McpServer,
  type McpTransport,
} from './model';
import { setMcpServers, useMcpServers } from './store';
import './mcp.css';

const TRANSPORT_NAMES: Record<McpTransport, string> = {
  stdio: 'stdio',
  sse: 'SSE',
  'streamable-http': 'Streamable HTTP',
};

function reason(error: unknown): string {
  if (error instanceof ApiError) return error.detail || `HTTP ${error.status}`;
  return error instanceof Error ? error.message : String(error);
}

const PlugIcon = () => (
  <svg
    width={18}
    height={18}
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    strokeWidth="2"
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    <path d="M9 2v5" />
    <path d="M15 2v5" />
    <path d="M6 7h12v4a6 6 0 0 1-12 0z" />
    <path d="M12 17v5" />
  </svg>
);

/** The MCP button (with the count of connected servers) and its dialog. */
export function McpButton() {
  const { session, settings } = useApp();
  const feature = (settings.features as { mcp?: McpFeature }).mcp;
  const connection = useChat(session.store, (s) => s.connection);
  const sessionId = session.sessionId;
  const servers = useMcpServers(sessionId);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const asked = useRef(new Set<string>());
  const connected = connection === 'connected';

  // What the session already holds (a rejoined chat); configured servers not among
  // them open with the chat, so the worker is asked for each one's tools.
  useEffect(() => {
    if (!connected || !feature?.enabled || asked.current.has(sessionId)) return;
    asked.current.add(sessionId);
    void loadServers(sessionId, feature);
  }, [connected, feature, sessionId]);

  if (!feature?.enabled) return null;
  const count = servers.filter((s) => s.state === 'connected').length;
  const label = t('mcp.button', 'MCP servers');
  return (
    <>
      <button
        ref={button}
        type="button"
        className="icon-btn mcp-button"
        aria-label={count ? `${label} (${count})` : label}
        title={label}
        aria-haspopup="dialog"
        data-testid="mcp-button"
        disabled={!connected}
        onClick={() => setOpen(true)}
      >
        <PlugIcon />
        {count > 0 && (
          <span className="mcp-count" aria-hidden="true">
            {count}
          </span>
        )}
      </button>
      {/* Outside the composer's form: the dialog holds a form of its own. */}
      {createPortal(
        <Modal open={open} title={label} onClose={() => setOpen(false)} returnFocus={button} wide>
          <McpDialogBody feature={feature} sessionId={sessionId} />
        </Modal>,
        document.body,
      )}
    </>
  );
}

async function loadServers(sessionId: string, feature: McpFeature): Promise<void> {
  let stored: McpServer[] = [];
  try {
    stored = await listServers(sessionId);
  } catch {
    /* not answered: the configured servers below are asked for one by one */
  }
  setMcpServers(sessionId, (list) => stored.reduce(upsert, list));
  const held = new Set(stored.map((server) => server.name.trim().toLowerCase()));
  for (const entry of feature.servers ?? []) {
    if (!held.has(entry.name.trim().toLowerCase())) void connectNamed(sessionId, entry.name, entry.type);
  }
}

async function connectNamed(sessionId: string, name: string, type: McpTransport): Promise<void> {
  const pending: McpServer = { name, type, state: 'connecting', tools: [], configured: true };
  setMcpServers(sessionId, (list) => upsert(list, pending));
  try {
    const server = await connectConfigured(sessionId, name);
    setMcpServers(sessionId, (list) => upsert(list, server));
  } catch (error) {
    setMcpServers(sessionId, (list) => upsert(list, { ...pending, state: 'failed', error: reason(error) }));
  }
}

function McpDialogBody({ feature, sessionId }: { feature: McpFeature; sessionId: string }) {
  const servers = withConfigured(useMcpServers(sessionId), feature);
  const transports = userTransports(feature);
  return (
    <div className="mcp-panel">
      <section aria-labelledby={`${sessionId}-mcp-list`}>
        <h3 id={`${sessionId}-mcp-list`}>{t('mcp.list.title', 'Servers in this chat')}</h3>
        {servers.length === 0 ? (
          <p className="muted">{t('mcp.list.empty', 'No MCP server is connected to this chat yet.')}</p>
        ) : (
          <ul className="mcp-servers" aria-label={t('mcp.list.title', 'Servers in this chat')}>
            {servers.map((server) => (
              <ServerItem key={server.name} server={server} sessionId={sessionId} />
            ))}
          </ul>
        )}
      </section>
      {transports.length > 0 && <AddServerForm sessionId={sessionId} transports={transports} feature={feature} />}
    </div>
  );
}

function stateText(server: McpServer): string {
  if (server.state === 'connecting') return t('mcp.state.connecting', 'Connecting…');
  if (server.state === 'connected') return t('mcp.state.connected', 'Connected');
  return t('mcp.state.failed', 'Not connected');
}

function ServerItem({ server, sessionId }: { server: McpServer; sessionId: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await removeServer(sessionId, server.name);
      setMcpServers(sessionId, (list) =>
        server.configured
          ? upsert(list, { ...server, state: 'failed', tools: [], error: undefined })
          : list.filter((s) => s.name !== server.name),
      );
    } catch (failure) {
      setError(reason(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="mcp-server" aria-labelledby={headingId} data-state={server.state} data-testid="mcp-server">
      <div className="mcp-server-head">
        <h4 id={headingId}>{server.name}</h4>
        <span className="mcp-type">{TRANSPORT_NAMES[server.type] ?? server.type}</span>
        <span className={`mcp-state ${server.state}`} data-testid="mcp-state">
          {server.state === 'connecting' && <Spinner size={12} />}
          {stateText(server)}
        </span>
        <span className="mcp-actions">
          {server.configured && server.state === 'failed' && (
            <button
              type="button"
              className="btn small outline"
              onClick={() => void connectNamed(sessionId, server.name, server.type)}
            >
              {t('mcp.actions.connect', 'Connect')}
            </button>
          )}
          {server.state === 'connected' && (
            <button
              type="button"
              className="icon-btn"
              aria-label={t('mcp.actions.remove', 'Remove {{name}}', { name: server.name })}
              title={t('mcp.actions.remove', 'Remove {{name}}', { name: server.name })}
              disabled={busy}
              onClick={() => void remove()}
            >
              {busy ? <Spinner size={14} /> : <TrashIcon />}
            </button>
          )}
        </span>
      </div>
      {server.configured && <p className="field-help">{t('mcp.list.configured', 'Set up by this app')}</p>}
      {server.target && <p className="mcp-target">{server.target}</p>}
      {server.state === 'failed' && server.error && (
        <p className="form-error" role="alert">
          {server.error}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {server.state === 'connected' && (
        <details className="mcp-tools">
          <summary>{t('mcp.list.tools', '{{count}} tool(s)', { count: server.tools.length })}</summary>
          <ul aria-label={t('mcp.list.toolsOf', 'Tools of {{name}}', { name: server.name })}>
            {server.tools.map((tool) => (
              <li key={tool}>
                <code>{tool}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

function AddServerForm({
  sessionId,
  transports,
  feature,
}: {
  sessionId: string;
  transports: McpTransport[];
  feature: McpFeature;
}) {
  const [type, setType] = useState<McpTransport>(transports[0]);
  const [name, setName] = useState('');
  const [command, setCommand] = useState('');
  const [url, setUrl] = useState('');
  const [headers, setHeaders] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const stdio = type === 'stdio';
  const allowed = feature.stdio?.allowed_executables ?? [];

  async function submit(event: FormEvent) {
    event.preventDefault();
    // React bubbles events along the component tree, portals included: not to the composer.
    event.stopPropagation();
    setError(null);
    let server: NewServer;
    if (stdio) {
      server = { name: name.trim(), clientType: 'stdio', fullCommand: command.trim() };
    } else {
      const parsed = parseHeaders(headers);
      if ('error' in parsed) {
        setError(t('mcp.add.badHeader', 'Line {{line}}: write each header as Name: value', { line: parsed.error }));
        return;
      }
      server = { name: name.trim(), clientType: type, url: url.trim(), headers: parsed.headers };
    }
    setBusy(true);
    try {
      const connected = await connectServer(sessionId, server);
      setMcpServers(sessionId, (list) => upsert(list, connected));
      setName('');
      setCommand('');
      setUrl('');
      setHeaders('');
    } catch (failure) {
      setError(reason(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="mcp-add"
      aria-labelledby={`${ids}-title`}
      aria-busy={busy}
      onSubmit={(event) => void submit(event)}
    >
      <h3 id={`${ids}-title`}>{t('mcp.add.title', 'Add a server')}</h3>
      <div className="mcp-add-row">
        <label className="field">
          <span>{t('mcp.add.name', 'Name')}</span>
          <input
            value={name}
            required
            maxLength={64}
            autoComplete="off"
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('mcp.add.type', 'Transport')}</span>
          <select value={type} onChange={(event) => setType(event.target.value as McpTransport)}>
            {transports.map((option) => (
              <option key={option} value={option}>
                {TRANSPORT_NAMES[option]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {stdio ? (
        <label className="field">
          <span>{t('mcp.add.command', 'Command')}</span>
          <input
            value={command}
            required
            autoComplete="off"
            spellCheck={false}
            placeholder="npx -y @modelcontextprotocol/server-everything"
            aria-describedby={`${ids}-allowed`}
            onChange={(event) => setCommand(event.target.value)}
          />
          <span className="field-help" id={`${ids}-allowed`}>
            {allowed.length
              ? t('mcp.add.allowed', 'Programs this app allows: {{list}}', { list: allowed.join(', ') })
              : t('mcp.add.noneAllowed', 'This app allows no program to be run.')}
          </span>
        </label>
      ) : (
        <>
          <label className="field">
            <span>{t('mcp.add.url', 'URL')}</span>
            <input
              type="url"
              value={url}
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="https://example.com/mcp"
              onChange={(event) => setUrl(event.target.value)}
            />
          </label>
          <label className="field">
            <span>{t('mcp.add.headers', 'Headers')}</span>
            <textarea
              value={headers}
              rows={2}
              spellCheck={false}
              autoComplete="off"
              placeholder="Authorization: Bearer …"
              aria-describedby={`${ids}-headers`}
              onChange={(event) => setHeaders(event.target.value)}
            />
            <span className="field-help" id={`${ids}-headers`}>
              {t('mcp.add.headersHelp', 'One per line, as Name: value. Values are not shown again.')}
            </span>
          </label>
        </>
      )}
      {error && (
        <p className="form-error" role="alert" data-testid="mcp-error">
          {error}
        </p>
      )}
      <button type="submit" className="btn primary" disabled={busy}>
        {busy && <Spinner size={14} />}
        {busy ? t('mcp.state.connecting', 'Connecting…') : t('mcp.actions.connect', 'Connect')}
      </button>
    </form>
  );
}
