// One chat session over Socket.IO: Chainlit's connect auth (§1.2), client events (§1.3)
// and every server event of §1.4/§1.5 applied to the store.

import { io, type Socket } from 'socket.io-client';
import { VoiceChannel } from '../audio/voice';
import { callHost, reportThread } from '../copilot/frame';
import { api, apiUrl, basePath } from '../lib/api';
import { t } from '../lib/i18n';
import { forgetSession, rememberSession } from '../lib/liveSessions';
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
    __switchboardVoice?: VoiceChannel;
  }
}

export interface SessionOptions {
  user: UserRef | null;
  /** "copilot" inside the copilot widget: CopilotFunction calls go to the host page. */
  clientType?: 'webapp' | 'copilot';
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

/** A client clock off the server's by more than this is corrected (see `rejoin`). */
const CLOCK_SKEW_MS = 5000;

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

export class ChatSession {
  readonly store = new ChatStore();
  sessionId = uuid4();
  private socket: Socket | null = null;
  private threadToResume = '';
  private closing = false;
  /** The server said this session's state is gone: the next disconnect starts a new one. */
  private expired = false;
  private connecting: Promise<void> | null = null;
  /** Settles the pending rejoin: true once connected, false when the server refuses. */
  private settleRejoin: ((joined: boolean) => void) | null = null;
  /**
   * Set while this session was rejoined: its stream replays from the start, over the
   * thread as persisted. Events written before `since` (server time, ms) are replays:
   * their toasts and window messages are not repeated.
   */
  private rejoined: { since: number } | null = null;

  /** The microphone and the app's audio (features.audio). */
  readonly voice = new VoiceChannel({
    emit: (event, payload, quiet) => {
      if (quiet && !this.socket?.connected) return false;
      return payload === undefined ? this.emit(event) : this.emit(event, payload);
    },
    changed: (voice) => this.store.set({ voice }),
  });

  constructor(private options: SessionOptions) {
    window.__switchboardStore = this.store;
    window.__switchboardVoice = this.voice;
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
    return this.connectAs(threadId, false);
  }

  private connectAs(threadId: string, restore: boolean): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.connecting ??= this.open(threadId, restore).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /**
   * Rejoin a session still alive on the server (a reload, or a thread opened again):
   * the thread as persisted (user messages never come back from the server), then its
   * stream's events replayed from the start (what only lives there: actions, settings,
   * commands, a reply still streaming). Resolves false, with a fresh session id, when
   * the session has ended or is not this user's.
   */
  async rejoin(threadId: string, sessionId: string): Promise<boolean> {
    // The current session stays alive for a return to its thread, unless it has none.
    this.close(!this.store.current.threadId);
    if (this.connecting) await this.connecting.catch(() => undefined);
    this.sessionId = sessionId;
    this.store.reset();
    let joined = false;
    try {
      const sent = Date.now();
      const response = await fetch(apiUrl(`/project/thread/${encodeURIComponent(threadId)}`), {
        credentials: 'same-origin',
      });
      if (response.ok && sessionId === this.sessionId) {
        const thread = (await response.json()) as ThreadDict;
        // Stream ids before now, by the server's clock, are replays. The Date header
        // (whole seconds, maybe a second stale) corrects only a clock far off.
        const date = Date.parse(response.headers.get('Date') ?? '');
        const skew = Number.isNaN(date) ? 0 : date - (sent + Date.now()) / 2;
        const offset = Math.abs(skew) > CLOCK_SKEW_MS ? skew : 0;
        this.loadThread(thread);
        this.rejoined = { since: Date.now() + offset };
        const settled = new Promise<boolean>((resolve) => (this.settleRejoin = resolve));
        await this.connectAs(threadId, true);
        joined = this.socket !== null && (await settled);
      }
    } catch (error) {
      console.warn('rejoining the session failed', error);
    }
    this.settleRejoin = null;
    if (joined && sessionId === this.sessionId) return true;
    if (sessionId === this.sessionId) {
      this.close(false);
      this.rejoined = null;
      this.sessionId = uuid4();
      this.store.reset();
    }
    forgetSession(sessionId);
    return false;
  }

  private async open(threadId: string, restore = false): Promise<void> {
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
      clientType: this.options.clientType ?? 'webapp',
      sessionId,
      threadId,
      userEnv: readUserEnv(),
      chatProfile: this.options.chatProfile ? encodeURIComponent(this.options.chatProfile) : '',
    };
    // Only this session, and its events from the start of its stream.
    if (restore) Object.assign(auth, { restoreOnly: true, lastEventId: '0-0' });
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
    this.rejoined = null;
    this.sessionId = uuid4();
    this.store.reset();
    if (this.connecting) await this.connecting.catch(() => undefined);
    await this.connect(threadId);
  }

  close(clear: boolean): void {
    const socket = this.socket;
    if (!socket) return;
    this.closing = true;
    this.voice.disconnected();
    if (clear && socket.connected) socket.emit('clear_session');
    // Cleared, the session ends; unsaid, it lives on through its grace period.
    if (clear) forgetSession(this.sessionId);
    this.settleRejoin?.(false);
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
    if (!this.emit('stop')) return;
    // The stopped reply gets no final message: end its stream here.
    if (this.store.tree.endStreaming()) this.store.touchTree();
    this.store.set({ loading: false });
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

  toggleFavorite(step: StepDict, favorite: boolean = !step.metadata?.favorite): void {
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
      handler: (payload: ServerEvents[K], ack?: (value: unknown) => void, eventId?: unknown) => void,
    ) => {
      socket.on(event as string, (...args: unknown[]) => {
        const ack =
          typeof args[args.length - 1] === 'function'
            ? (args.pop() as (value: unknown) => void)
            : undefined;
        const [payload, eventId] = args;
        handler(payload as ServerEvents[K], ack, eventId);
        if (typeof eventId === 'string' && eventId) auth.lastEventId = eventId;
      });
    };

    socket.on('connect', () => {
      store.set({ connection: 'connected', connectError: null });
      if (auth.restoreOnly) {
        // A rejoined session runs already: connection_successful would end its task
        // and clear its ask. Later reconnects are ordinary ones.
        delete auth.restoreOnly;
        this.settleRejoin?.(true);
      } else {
        socket.emit('connection_successful');
      }
      if (this.options.fetchFavorites) socket.emit('fetch_favorites');
    });
    socket.on('connect_error', (error: Error) => {
      const reason = error.message || 'connect_error';
      if (auth.restoreOnly && !socket.active) {
        // Refused (the session ended, or is someone else's): the caller falls back.
        this.settleRejoin?.(false);
        return;
      }
      store.set({ connection: socket.active ? 'reconnecting' : 'failed', connectError: reason });
      if (reason === 'authentication failed') this.options.onAuthFailed?.();
      if (reason === 'authorization failed' && this.threadToResume) {
        store.toast(t('chat.resume.error', 'Could not resume this conversation'), 'error');
      }
    });
    socket.on('disconnect', (reason: string) => {
      if (this.closing) return;
      this.voice.disconnected();
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
    on('task_end', () => {
      // A stream the task left open (stopped, or never sent) ends with it; a
      // reconnect's task_end is undone by the next token of a stream still running.
      if (tree.endStreaming()) store.touchTree();
      store.set({ loading: false });
    });

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
      rememberSession(data.thread_id, this.sessionId);
      // Automatic reconnects then carry the thread (as Chainlit's client does).
      auth.threadId = data.thread_id;
      if (this.options.clientType === 'copilot') reportThread(data.thread_id);
      this.options.onFirstInteraction?.(data.thread_id);
    });
    // Replayed into a rejoined session, the resumed thread adds to the later one shown.
    on('resume_thread', (thread) => this.loadThread(thread, this.rejoined !== null));
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
    on('call_fn', (data, ack) => {
      if (this.options.clientType !== 'copilot') {
        // Copilot function calls have no meaning in the full-page UI: answer at once.
        ack?.({ error: 'call_fn is not supported by this client' });
        return;
      }
      // The host page's `chainlit-call-fn` listener answers (copilot/widget.ts).
      void callHost(data.name, data.args ?? {}).then((result) => ack?.(result));
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
    const replayed = (eventId: unknown) =>
      this.rejoined !== null && typeof eventId === 'string' && streamTime(eventId) < this.rejoined.since;
    on('toast', (data, _ack, eventId) => {
      if (replayed(eventId)) return;
      const type = data?.type && TOAST_TYPES.includes(data.type) ? data.type : 'info';
      store.toast(String(data?.message ?? ''), type);
    });
    on('window_message', (data, _ack, eventId) => {
      if (replayed(eventId)) return;
      if (window.parent !== window) window.parent.postMessage(data, '*');
    });
    // Voice: an answer to our own audio_start, and the app's audio. A rejoined session's
    // replayed audio is neither played again nor allowed to turn the microphone on.
    on('audio_connection', (state, _ack, eventId) => {
      if (!replayed(eventId)) this.voice.connection(state);
    });
    on('audio_chunk', (payload, _ack, eventId) => {
      if (!replayed(eventId)) this.voice.play(payload);
    });
    on('audio_interrupt', (_payload, _ack, eventId) => {
      if (!replayed(eventId)) this.voice.interrupt();
    });
    on('error', (data) => {
      if (typeof data?.event === 'string' && data.event.startsWith('audio_')) this.voice.refused();
      if (data?.code === 'session_expired') {
        this.expired = true;
        forgetSession(this.sessionId);
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

  /**
   * Show a persisted thread (resume_thread, a rejoin, or read-only views). `merge` adds
   * only the steps and elements not shown yet: a newer state of the thread is.
   */
  loadThread(thread: ThreadDict, merge = false): void {
    const store = this.store;
    const all = thread.elements ?? [];
    const metadata = (thread.metadata ?? {}) as Record<string, unknown>;
    const settings = metadata.chat_settings;
    if (merge) {
      store.tree.addMissing(thread.steps ?? []);
      store.update((s) => {
        const known = new Set([...s.elements, ...s.tasklists].map((e) => e.id));
        const added = all.filter((e) => !known.has(e.id));
        return {
          elements: [...s.elements, ...added.filter((e) => e.type !== 'tasklist')],
          tasklists: [...s.tasklists, ...added.filter((e) => e.type === 'tasklist')],
        };
      });
      store.touchTree();
      return;
    }
    store.tree.load(thread.steps ?? []);
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

/** When a UI stream entry was written (server time, ms): Redis stream ids start with it. */
export function streamTime(eventId: string): number {
  const ms = Number(eventId.split('-')[0]);
  return Number.isFinite(ms) ? ms : Infinity;
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
