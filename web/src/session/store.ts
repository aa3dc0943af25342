// The chat state. Writes apply at once; readers (React) see a new snapshot at most once
// per animation frame, so a stream of thousands of tokens renders once per frame.

import { useSyncExternalStore } from 'react';
import type {
  ActionDict,
  AskSpec,
  Command,
  ElementDict,
  InputWidget,
  Mode,
  SettingsTab,
  StepDict,
  ToastItem,
} from '../types';
import { VOICE_OFF, type Voice } from '../audio/voiceState';
import { EMPTY_TREE, MessageTree, type TreeSnapshot } from './tree';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface AskState {
  spec: AskSpec;
  msgId: string;
  parentId: string | null;
  answer: (value: unknown) => void;
}

export interface SidebarState {
  title: string;
  elements: ElementDict[];
  key: string | null;
}

export interface ChatState {
  connection: ConnectionState;
  connectError: string | null;
  loading: boolean;
  tree: TreeSnapshot;
  elements: ElementDict[];
  tasklists: ElementDict[];
  actions: ActionDict[];
  ask: AskState | null;
  threadId: string | null;
  chatSettings: (InputWidget | SettingsTab)[];
  chatSettingsValues: Record<string, unknown>;
  commands: Command[];
  modes: Mode[];
  toasts: ToastItem[];
  sidebar: SidebarState | null;
  tokenCount: number;
  favorites: StepDict[];
  lastError: string | null;
  /** The microphone: off, waiting for the app's answer, or recording. */
  voice: Voice;
}

export function initialState(): ChatState {
  return {
    connection: 'idle',
    connectError: null,
    loading: false,
    tree: EMPTY_TREE,
    elements: [],
    tasklists: [],
    actions: [],
    ask: null,
    threadId: null,
    chatSettings: [],
    chatSettingsValues: {},
    commands: [],
    modes: [],
    toasts: [],
    sidebar: null,
    tokenCount: 0,
    favorites: [],
    lastError: null,
    voice: VOICE_OFF,
  };
}

export class ChatStore {
  readonly tree = new MessageTree();
  private state: ChatState = initialState();
  private published: ChatState = this.state;
  private listeners = new Set<() => void>();
  private scheduled = false;
  private nextToastId = 1;
  /** Frames published; read by the render benchmark. */
  publishes = 0;

  get current(): ChatState {
    return this.state;
  }

  set(partial: Partial<ChatState>): void {
    this.state = { ...this.state, ...partial };
    this.schedule();
  }

  update(fn: (state: ChatState) => Partial<ChatState>): void {
    this.set(fn(this.state));
  }

  /** Mark the tree changed (writes go straight to `tree`). */
  touchTree(): void {
    this.schedule();
  }

  reset(keep: Partial<ChatState> = {}): void {
    this.tree.clear();
    this.state = { ...initialState(), ...keep, toasts: this.state.toasts };
    this.schedule();
  }

  toast(message: string, type: ToastItem['type'] = 'info'): void {
    const id = this.nextToastId++;
    this.update((s) => ({ toasts: [...s.toasts, { id, message, type }] }));
    window.setTimeout(() => this.dismissToast(id), type === 'error' ? 8000 : 5000);
  }

  dismissToast(id: number): void {
    this.update((s) => ({ toasts: s.toasts.filter((toast) => toast.id !== id) }));
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatState => this.published;

  /** Publish now (tests and teardown); normally publishing waits for the next frame. */
  flush(): void {
    this.scheduled = false;
    const tree = this.tree.snapshot();
    const next = tree === this.state.tree ? this.state : { ...this.state, tree };
    this.state = next;
    if (next === this.published) return;
    this.published = next;
    this.publishes += 1;
    for (const listener of this.listeners) listener();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (document.visibilityState === 'hidden') window.setTimeout(() => this.flush(), 100);
    else window.requestAnimationFrame(() => this.flush());
  }
}

export function useChat<T>(store: ChatStore, select: (state: ChatState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getSnapshot()));
}
