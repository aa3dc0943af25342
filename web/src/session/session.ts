// One chat session over Socket.IO: Chainlit's connect auth (§1.2), client events (§1.3)
// and every server event of §1.4/§1.5 applied to the store.

import { io, type Socket } from 'socket.io-client';
import { api, basePath } from '../lib/api';
import { t } from '../lib/i18n';
import { uuid4 } from '../lib/uuid';
import type {
  ActionDict,
  ClientMessage,
  Command,
  ConnectAuth,
  ElementDict,
  InputWidget,
  Mode,
  SettingsTab,
  Step,
  StepDict,
  ThreadDict,
  ToastItem,
  UiEventPayloads,
  UserRef,
} from '../types';
import { ChatStore } from './store';

declare global {
  interface Window {
    transports?: string[];
    __switchboardSocket?: Socket;
    __switchboardStore?: ChatStore;
  }
}

export interface SessionOptions {
  user: UserRef | null;
  /** Ask for favorites on connect (only useful with features.favorites and a user). */
  fetchFavorites?: boolean;
  chatProfile?: string | null;
  onFirstInteraction?: (threadId: string) => void;
  onAuthFailed?: () => void;
}

export interface OutgoingMessage {
  text: string;
  command?: string | null;
  modes?: Record<string, string> | null;
  fileIds?: string[];
}

/** What the server emits: the schema's UI events, plus the gateway's answer to fetch_favorites. */
export interface ServerEvents extends UiEventPayloads {
  set_favorites: StepDict[];
}

const TOAST_TYPES: readonly ToastItem['type'][] = ['info', 'success', 'warning', 'error'];

/** The values of `project.user_env` the env page kept in this browser. */
function readUserEnv(): Record<string, string> {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem('userEnv') ?? '{}');
    if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return {};
    return Object.fromEntries(Object.entries(stored).map(([key, value]) => [key, String(value)]));
  } catch {
    return {};
  }
}

const CL_RUNS = new Set(['on_chat_start', 'on_message', 'on_audio_end']);

export function isClRun(step: StepDict): boolean {
  return step.type === 'run' && CL_RUNS.has(step.name ?? '');
}

export function isMessage(step: StepDict): boolean {
  return step.type?.includes('message') ?? false;
}

export class ChatSession {
  readonly store = new ChatStore();
  sessionId = uuid4();
  private socket: Socket | null = null;
  private threadToResume = '';
  private closing = false;
  /** The server said this session's state is gone: the next disconnect starts a new one. */
  private expired = false;
  private connecting: Promise<void> | null = null;

  constructor(private options: SessionOptions) {
    window.__switchboardStore = this.store;
  }

  get user(): UserRef | null {
    return this.options.user;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  setHandlers(handlers: Pick<SessionOptions, 'onFirstInteraction' | 'fetchFavorites'>): void {
    Object.assign(this.options, handlers);
  }

  get hasSocket(): boolean {
    return this.socket !== null;
  }

  setChatProfile(profile: string | null): void {
    this.options.chatProfile = profile;
  }

  /** Open the socket (once); `threadId` resumes that thread. */
  connect(threadId = ''): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.connecting ??= this.open(threadId).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(threadId: string): Promise<void> {
    this.closing = false;
    this.threadToResume = threadId;
    const sessionId = this.sessionId;
    this.store.set({ connection: 'connecting', connectError: null });
    try {
      await api.post('/set-session-cookie', { session_id: sessionId });
    } catch (error) {
      console.warn('set-session-cookie failed', error);
    }
    if (this.socket || this.closing || sessionId !== this.sessionId) return;
    const auth: ConnectAuth = {
      clientType: 'webapp',
      sessionId,
      threadId,
      userEnv: readUserEnv(),
      chatProfile: this.options.chatProfile ? encodeURIComponent(this.options.chatProfile) : '',
    };
    const socket = io(window.location.origin, {
      path: `${basePath}/ws/socket.io`,
      withCredentials: true,
      transports: window.transports ?? ['polling', 'websocket'],
      auth,
    });
    this.socket = socket;
    window.__switchboardSocket = socket;
    this.bind(socket);
  }

  /** Leave this session for a fresh one (new chat, or before resuming a thread). */
  async reset(threadId = ''): Promise<void> {
    this.close(true);
    this.sessionId = uuid4();
    this.store.reset();
    if (this.connecting) await this.connecting.catch(() => undefined);
    await this.connect(threadId);
  }

  close(clear: boolean): void {
    const socket = this.socket;
    if (!socket) return;
    this.closing = true;
    if (clear && socket.connected) socket.emit('clear_session');
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
    this.socket = null;
  }

  // --- client → server ----------------------------------------------------

  private emit(event: string, ...args: unknown[]): boolean {
    if (!this.socket?.connected) {
      this.store.toast(t('chat.status.disconnected', 'Not connected to the server'), 'warning');
      return false;
    }
    this.socket.emit(event, ...args);
    return true;
  }

  /** Send a user message (§7.2 step 9b); it is shown at once, the server never echoes it. */
  sendMessage(out: OutgoingMessage): Step | null {
    const message: Step = {
      threadId: '',
      id: uuid4(),
      name: this.options.user?.identifier || 'User',
      type: 'user_message',
      output: out.text,
      createdAt: new Date().toISOString(),
      metadata: { location: window.location.href },
    };
    if (out.command) message.command = out.command;
    if (out.modes && Object.keys(out.modes).length) message.modes = out.modes;
    const body: ClientMessage = { message, fileReferences: (out.fileIds ?? []).map((id) => ({ id })) };
    if (!this.emit('client_message', body)) return null;
    this.store.tree.upsert(message);
    this.store.touchTree();
    return message;
  }

  /** Answer a text ask with a user step (§1.5). */
  answerTextAsk(text: string): void {
    const ask = this.store.current.ask;
    if (!ask || ask.spec.type !== 'text') return;
    const message: Step = {
      threadId: '',
      id: uuid4(),
      name: this.options.user?.identifier || 'User',
      type: 'user_message',
      output: text,
      createdAt: new Date().toISOString(),
      metadata: { location: window.location.href },
      parentId: ask.parentId,
    };
    // Under the ask's parent, as Chainlit does: it then sits right after the question.
    this.store.tree.upsert(message);
    this.store.touchTree();
    this.answerAsk(message);
  }

  answerAsk(value: unknown): void {
    const ask = this.store.current.ask;
    if (!ask) return;
    ask.answer(value);
    this.store.set({ ask: null });
  }

  stop(): void {
    if (this.emit('stop')) this.store.set({ loading: false });
  }

  editMessage(step: Step, output: string): void {
    const body: ClientMessage = { message: { ...step, output } };
    if (!this.emit('edit_message', body)) return;
    this.store.tree.patch(step.id, { output });
    this.store.touchTree();
  }

  changeSettings(values: Record<string, unknown>): void {
    if (this.emit('chat_settings_change', values)) this.store.set({ chatSettingsValues: values });
  }

  editSettings(values: Record<string, unknown>): void {
    this.socket?.emit('chat_settings_edit', values);
  }

  toggleFavorite(step: Step): void {
    const favorite = !step.metadata?.favorite;
    this.emit('message_favorite', {
      message: { ...step, metadata: { ...(step.metadata ?? {}), favorite } },
    });
  }

  windowMessage(data: unknown): void {
    this.socket?.emit('window_message', data);
  }

  async callAction(action: ActionDict): Promise<unknown> {
    return api.post('/project/action', { action, sessionId: this.sessionId });
  }

  fileUrl(element: ElementDict): string | undefined {
    // The server's own routes are rooted at the app, which may sit under a path prefix.
    if (element.url) return element.url.startsWith('/project/') ? `${basePath}${element.url}` : element.url;
    if (element.chainlitKey) {
      return `${basePath}/project/file/${encodeURIComponent(element.chainlitKey)}?session_id=${encodeURIComponent(this.sessionId)}`;
    }
    return undefined;
  }

  // --- server → client ----------------------------------------------------

  private bind(socket: Socket): void {
    const store = this.store;
    const tree = store.tree;
    const auth = socket.auth as ConnectAuth;
    /**
     * A relayed event carries its stream id as a second argument (an ask's ack comes
     * last). The last id applied goes into the auth payload, so a reconnect resumes
     * right after it and nothing is lost or applied twice.
     */
    const on = <K extends keyof ServerEvents>(
      event: K,
      handler: (payload: ServerEvents[K], ack?: (value: unknown) => void) => void,
    ) => {
      socket.on(event as string, (...args: unknown[]) => {
        const ack =
          typeof args[args.length - 1] === 'function'
            ? (args.pop() as (value: unknown) => void)
            : undefined;
        const [payload, eventId] = args;
        handler(payload as ServerEvents[K], ack);
        if (typeof eventId === 'string' && eventId) auth.lastEventId = eventId;
      });
    };

    socket.on('connect', () => {
      store.set({ connection: 'connected', connectError: null });
      socket.emit('connection_successful');
      if (this.options.fetchFavorites) socket.emit('fetch_favorites');
    });
    socket.on('connect_error', (error: Error) => {
      const reason = error.message || 'connect_error';
      store.set({ connection: socket.active ? 'reconnecting' : 'failed', connectError: reason });
      if (reason === 'authentication failed') this.options.onAuthFailed?.();
      if (reason === 'authorization failed' && this.threadToResume) {
        store.toast(t('chat.resume.error', 'Could not resume this conversation'), 'error');
      }
    });
    socket.on('disconnect', (reason: string) => {
      if (this.closing) return;
      if (this.expired) {
        this.expired = false;
        void this.reset();
        return;
      }
      store.set({ connection: 'reconnecting' });
      // The server closed us on purpose: socket.io does not retry that by itself.
      if (reason === 'io server disconnect') window.setTimeout(() => socket.connect(), 1000);
    });

    on('task_start', () => store.set({ loading: true }));
    on('task_end', () => store.set({ loading: false }));

    const upsert = (step: StepDict) => {
      if (step && tree.upsert(step)) store.touchTree();
    };
    on('new_message', upsert);
    on('update_message', upsert);
    on('stream_start', (step) => upsert({ ...step, streaming: true }));
    on('delete_message', (step) => {
      if (!step?.id) return;
      tree.remove(step.id);
      store.touchTree();
    });
    on('stream_token', (data) => {
      if (tree.token(data.id, data.token, !!data.isSequence, !!data.isInput)) store.touchTree();
    });

    on('first_interaction', (data) => {
      store.set({ threadId: data.thread_id });
      // Automatic reconnects then carry the thread (as Chainlit's client does).
      auth.threadId = data.thread_id;
      this.options.onFirstInteraction?.(data.thread_id);
    });
    on('resume_thread', (thread) => this.loadThread(thread));
    on('resume_thread_error', (error) => {
      store.toast(String(error || t('chat.resume.error', 'Could not resume this conversation')), 'error');
    });

    on('ask', (data, ack) => {
      const msgId = data.msg.id;
      if (!msgId) {
        console.warn('ask without a message id: nothing to show it under');
        return;
      }
      const answer = ack ?? (() => console.warn('ask without an ack: the answer is lost'));
      upsert(data.msg);
      store.set({
        ask: { spec: data.spec, msgId, parentId: data.msg.parentId ?? null, answer },
        loading: false,
      });
    });
    on('ask_timeout', () => {
      store.set({ ask: null, loading: false });
    });
    on('clear_ask', () => {
      store.set({ ask: null });
    });
    on('call_fn', (_data, ack) => {
      // Copilot function calls have no meaning in the full-page UI: answer at once.
      ack?.({ error: 'call_fn is not supported by this client' });
    });

    on('element', (element) => {
      if (!element?.id) return;
      const key = element.type === 'tasklist' ? 'tasklists' : 'elements';
      store.update((s) => ({ [key]: upsertById(s[key], element) }) as Partial<typeof s>);
    });
    on('remove_element', (data) => {
      store.update((s) => ({
        elements: s.elements.filter((e) => e.id !== data.id),
        tasklists: s.tasklists.filter((e) => e.id !== data.id),
      }));
    });
    on('action', (action) => {
      if (action?.id) store.update((s) => ({ actions: upsertById(s.actions, action) }));
    });
    on('remove_action', (action) => {
      store.update((s) => ({ actions: s.actions.filter((a) => a.id !== action.id) }));
    });

    // The schema leaves these free-form (app-built dicts); the UI reads them as Chainlit's.
    on('chat_settings', (payload) => {
      const inputs = payload as unknown as (InputWidget | SettingsTab)[];
      store.set({ chatSettings: inputs, chatSettingsValues: initialValues(inputs) });
    });
    on('set_commands', (commands) => store.set({ commands: (commands ?? []) as unknown as Command[] }));
    on('set_modes', (modes) => store.set({ modes: (modes ?? []) as unknown as Mode[] }));
    on('set_favorites', (steps) => store.set({ favorites: steps ?? [] }));
    on('set_sidebar_title', (title) =>
      store.update((s) => ({ sidebar: { elements: [], key: null, ...s.sidebar, title } })),
    );
    on('set_sidebar_elements', (payload) => {
      const data = payload as { elements?: ElementDict[]; key?: string | null };
      store.update((s) => {
        if (!data.elements?.length) return { sidebar: null };
        if (s.sidebar && data.key && s.sidebar.key === data.key) return {};
        return {
          sidebar: { title: s.sidebar?.title ?? '', elements: data.elements, key: data.key ?? null },
        };
      });
    });
    on('token_usage', (count) =>
      store.update((s) => ({ tokenCount: s.tokenCount + (Number(count) || 0) })),
    );
    on('toast', (data) => {
      const type = data?.type && TOAST_TYPES.includes(data.type) ? data.type : 'info';
      store.toast(String(data?.message ?? ''), type);
    });
    on('window_message', (data) => {
      if (window.parent !== window) window.parent.postMessage(data, '*');
    });
    on('error', (data) => {
      if (data?.code === 'session_expired') {
        this.expired = true;
        store.toast(
          t('chat.status.expired', 'The conversation was lost on the server; starting a new one'),
          'warning',
        );
        return;
      }
      const message = data?.message ?? String(data);
      store.set({ lastError: message });
      store.toast(message, 'error');
    });
  }

  /** Show a persisted thread (resume_thread, or read-only views). */
  loadThread(thread: ThreadDict): void {
    const store = this.store;
    store.tree.load(thread.steps ?? []);
    const all = thread.elements ?? [];
    const metadata = (thread.metadata ?? {}) as Record<string, unknown>;
    const settings = metadata.chat_settings;
    store.set({
      threadId: thread.id,
      elements: all.filter((e) => e.type !== 'tasklist'),
      tasklists: all.filter((e) => e.type === 'tasklist'),
      ...(settings && typeof settings === 'object'
        ? { chatSettingsValues: settings as Record<string, unknown> }
        : {}),
    });
    if (this.socket) (this.socket.auth as Record<string, unknown>).threadId = thread.id;
    store.touchTree();
  }
}

function upsertById<T extends { id: string }>(list: T[], item: T): T[] {
  const index = list.findIndex((x) => x.id === item.id);
  if (index === -1) return [...list, item];
  const copy = [...list];
  copy[index] = { ...copy[index], ...item };
  return copy;
}

export function flattenInputs(inputs: (InputWidget | SettingsTab)[]): InputWidget[] {
  return inputs.flatMap((input) => ('inputs' in input ? input.inputs : [input]));
}

export function initialValues(inputs: (InputWidget | SettingsTab)[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const input of flattenInputs(inputs)) values[input.id] = input.initial;
  return values;
}
