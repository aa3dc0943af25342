// Generated from the pydantic wire schema (shared/src/switchboard/schema/): do not edit.
// Regenerate with `make schema` (python -m switchboard.schema.typescript).
// Types say what the schema accepts: a field with a default may be absent.

export type StepType =
  | 'run'
  | 'tool'
  | 'llm'
  | 'embedding'
  | 'retrieval'
  | 'rerank'
  | 'undefined'
  | 'user_message'
  | 'assistant_message'
  | 'system_message';

export type ClientType = 'webapp' | 'copilot' | 'teams' | 'slack' | 'discord';

/** Chainlit's action dict (`Action.to_dict`). */
export interface ActionDict {
  name: string;
  payload?: Record<string, unknown>;
  label?: string;
  tooltip?: string;
  icon?: string | null;
  forId?: string | null;
  id: string;
}

export interface AskPayload {
  msg: StepDict;
  spec: AskSpec;
}

/** What an `ask` expects back (reference §1.5). */
export interface AskSpec {
  timeout: number;
  type: 'text' | 'file' | 'action' | 'element';
  step_id: string;
  accept?: string[] | Record<string, string[]> | null;
  max_files?: number | null;
  max_size_mb?: number | null;
  keys?: string[] | null;
  element_id?: string | null;
}

export interface CallFnPayload {
  name: string;
  args?: Record<string, unknown>;
}

/**
 * Payload of `client_message`: the user's step and attached files.
 *
 * Refused here, before the user step is stored: more files than the worker's
 * input takes, and (through `StepDict`) metadata nested too deep.
 */
export interface ClientMessage {
  message: StepDict;
  fileReferences?: FileReference[] | null;
}

/** Chainlit's Socket.IO CONNECT `auth` payload (reference §1.2). */
export interface ConnectAuth {
  sessionId: string;
  clientType?: ClientType;
  threadId?: string | null;
  userEnv?: Record<string, string>;
  chatProfile?: string | null;
  lastEventId?: string | null;
  restoreOnly?: boolean;
}

export interface ElementDict {
  id: string;
  threadId?: string | null;
  type: string;
  chainlitKey?: string | null;
  path?: string | null;
  url?: string | null;
  objectKey?: string | null;
  name: string;
  display?: 'inline' | 'side' | 'page';
  size?: string | null;
  language?: string | null;
  page?: number | null;
  props?: Record<string, unknown> | null;
  autoPlay?: boolean | null;
  playerConfig?: Record<string, unknown> | null;
  forId?: string | null;
  mime?: string | null;
}

export type Empty = Record<string, never>;

/** Switchboard's refusal of a client event (Chainlit has no such event). */
export interface ErrorPayload {
  code: string;
  message: string;
  event?: string | null;
}

export interface FeedbackDict {
  forId: string;
  id?: string | null;
  value: 0 | 1;
  comment?: string | null;
}

export interface FeedbackIn {
  forId: string;
  value: 0 | 1;
  threadId?: string | null;
  id?: string | null;
  comment?: string | null;
}

export interface FileReference {
  id: string;
}

export interface FirstInteractionPayload {
  interaction: string;
  thread_id: string;
}

export interface PageInfo {
  hasNextPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

export interface Pagination {
  first?: number;
  cursor?: string | null;
}

/** A step or message as it travels on the wire and into storage. */
export interface StepDict {
  id?: string | null;
  name?: string | null;
  type?: StepType | null;
  threadId?: string | null;
  parentId?: string | null;
  command?: string | null;
  modes?: Record<string, string> | null;
  streaming?: boolean | null;
  waitForAnswer?: boolean | null;
  isError?: boolean | null;
  metadata?: Record<string, unknown> | null;
  tags?: string[] | null;
  input?: string | null;
  output?: string | null;
  createdAt?: string | null;
  start?: string | null;
  end?: string | null;
  generation?: Record<string, unknown> | null;
  showInput?: boolean | string | null;
  defaultOpen?: boolean | null;
  autoCollapse?: boolean | null;
  language?: string | null;
  icon?: string | null;
  feedback?: FeedbackDict | null;
}

export interface StreamTokenPayload {
  id: string;
  token: string;
  isSequence?: boolean;
  isInput?: boolean;
}

export interface ThreadDict {
  id: string;
  createdAt: string;
  name?: string | null;
  userId?: string | null;
  userIdentifier?: string | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown>;
  steps?: StepDict[];
  elements?: ElementDict[];
}

export interface ThreadFilter {
  feedback?: 0 | 1 | null;
  userId?: string | null;
  search?: string | null;
}

export interface ThreadListRequest {
  pagination?: Pagination;
  filter?: ThreadFilter;
}

export interface ThreadPage {
  pageInfo: PageInfo;
  data: ThreadDict[];
}

export interface ToastPayload {
  message: string;
  type?: 'info' | 'success' | 'warning' | 'error';
}

/** A user as other services see it: by id and identifier. */
export interface UserRef {
  identifier: string;
  id?: string | null;
  display_name?: string | null;
  metadata?: Record<string, unknown>;
}

/** Each server event's payload by name: `socket.on(name, (payload) => ...)`. */
export interface UiEventPayloads {
  action: ActionDict;
  ask: AskPayload;
  ask_timeout: Empty;
  audio_chunk: Record<string, unknown>;
  audio_connection: 'on' | 'off';
  audio_interrupt: Empty;
  call_fn: CallFnPayload;
  call_fn_timeout: Empty;
  chat_settings: Record<string, unknown>[];
  clear_ask: Empty;
  clear_call_fn: Empty;
  delete_message: StepDict;
  element: ElementDict;
  error: ErrorPayload;
  first_interaction: FirstInteractionPayload;
  new_message: StepDict;
  remove_action: ActionDict;
  remove_element: Record<string, string>;
  resume_thread: ThreadDict;
  resume_thread_error: string;
  set_commands: Record<string, unknown>[];
  set_modes: Record<string, unknown>[];
  set_sidebar_elements: Record<string, unknown>;
  set_sidebar_title: string;
  stream_start: StepDict;
  stream_token: StreamTokenPayload;
  task_end: Empty;
  task_start: Empty;
  toast: ToastPayload;
  token_usage: number;
  update_message: StepDict;
  window_message: unknown;
}
