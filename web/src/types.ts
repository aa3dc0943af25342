// Wire shapes of Chainlit's protocol (reference §1.4, §2, appendix A).

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

export interface Feedback {
  id?: string | null;
  forId?: string;
  threadId?: string | null;
  value: 0 | 1;
  comment?: string | null;
}

export interface Step {
  id: string;
  name: string;
  type: StepType | string;
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
  output: string;
  createdAt?: string | number | null;
  start?: string | null;
  end?: string | null;
  language?: string | null;
  defaultOpen?: boolean | null;
  autoCollapse?: boolean | null;
  showInput?: boolean | string | null;
  icon?: string | null;
  feedback?: Feedback | null;
}

export type ElementType =
  | 'image'
  | 'text'
  | 'pdf'
  | 'audio'
  | 'video'
  | 'file'
  | 'plotly'
  | 'dataframe'
  | 'tasklist'
  | 'custom';

export interface ElementDict {
  id: string;
  threadId?: string | null;
  type: ElementType | string;
  url?: string | null;
  chainlitKey?: string | null;
  name: string;
  display: 'inline' | 'side' | 'page' | string;
  objectKey?: string | null;
  size?: 'small' | 'medium' | 'large' | null;
  props?: Record<string, unknown> | null;
  page?: number | null;
  autoPlay?: boolean | null;
  playerConfig?: Record<string, unknown> | null;
  language?: string | null;
  forId?: string | null;
  mime?: string | null;
  content?: string | null;
}

export interface Action {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  label?: string;
  tooltip?: string;
  icon?: string | null;
  forId?: string | null;
}

export interface AskSpec {
  type: 'text' | 'file' | 'action' | 'element';
  timeout: number;
  step_id: string;
  accept?: string[] | Record<string, string[]>;
  max_files?: number;
  max_size_mb?: number;
  keys?: string[];
  element_id?: string;
}

export interface ThreadDict {
  id: string;
  createdAt: string;
  name?: string | null;
  userId?: string | null;
  userIdentifier?: string | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  steps: Step[];
  elements?: ElementDict[] | null;
}

export interface SelectItem {
  label: string;
  value: string;
}

export interface InputWidget {
  type:
    | 'switch'
    | 'slider'
    | 'select'
    | 'textinput'
    | 'numberinput'
    | 'tags'
    | 'multiselect'
    | 'checkbox'
    | 'radio'
    | 'datepicker'
    | string;
  id: string;
  label: string;
  initial?: unknown;
  tooltip?: string | null;
  description?: string | null;
  disabled?: boolean | null;
  min?: number;
  max?: number;
  step?: number;
  items?: SelectItem[];
  values?: string[];
  placeholder?: string | null;
  multiline?: boolean;
  mode?: 'single' | 'range';
  min_date?: string | null;
  max_date?: string | null;
  format?: string | null;
}

export interface SettingsTab {
  id: string;
  label: string;
  inputs: InputWidget[];
}

export interface Command {
  id: string;
  description: string;
  icon?: string | null;
  button?: boolean;
  persistent?: boolean;
  selected?: boolean;
}

export interface ModeOption {
  id: string;
  name: string;
  description?: string | null;
  icon?: string | null;
  default?: boolean;
}

export interface Mode {
  id: string;
  name: string;
  options: ModeOption[];
}

export interface Starter {
  label: string;
  message: string;
  command?: string | null;
  icon?: string | null;
}

export interface ChatProfile {
  name: string;
  display_name?: string | null;
  markdown_description?: string | null;
  icon?: string | null;
  default?: boolean;
  starters?: Starter[] | null;
}

export interface HeaderLink {
  name: string;
  url: string;
  icon_url?: string | null;
  display_name?: string | null;
  target?: string | null;
}

export interface UiSettings {
  name: string;
  description?: string;
  cot: 'hidden' | 'tool_call' | 'full';
  default_theme?: 'light' | 'dark';
  layout?: 'default' | 'wide';
  default_sidebar_state?: 'open' | 'closed' | 'hidden';
  chat_settings_location?: 'message_composer' | 'sidebar';
  default_chat_settings_open?: boolean;
  confirm_new_chat?: boolean;
  github?: string | null;
  header_links?: HeaderLink[] | null;
  logo_file_url?: string | null;
  default_avatar_file_url?: string | null;
  avatar_size?: number | null;
}

export interface UploadSpec {
  enabled?: boolean;
  accept?: string[] | Record<string, string[]>;
  max_files?: number;
  max_size_mb?: number;
}

export interface FeatureSettings {
  unsafe_allow_html?: boolean;
  latex?: boolean;
  user_message_markdown?: boolean;
  user_message_autoscroll?: boolean;
  assistant_message_autoscroll?: boolean;
  edit_message?: boolean;
  allow_thread_sharing?: boolean;
  favorites?: boolean;
  spontaneous_file_upload?: UploadSpec | null;
  audio?: { enabled: boolean; sample_rate: number };
}

export interface ProjectSettings {
  ui: UiSettings;
  features: FeatureSettings;
  userEnv: string[] | null;
  maskUserEnv?: boolean;
  dataPersistence: boolean;
  threadResumable: boolean;
  threadSharing?: boolean;
  markdown: string | null;
  chatProfiles: ChatProfile[];
  starters: Starter[];
  starterCategories?: { label: string; icon?: string | null; starters: Starter[] }[];
  debugUrl?: string | null;
}

export interface AuthConfig {
  requireLogin: boolean | null;
  passwordAuth: boolean;
  headerAuth: boolean;
  oauthProviders: string[];
  default_theme?: 'light' | 'dark' | null;
  ui?: {
    login_page_image?: string | null;
    login_page_image_filter?: string | null;
    login_page_image_dark_filter?: string | null;
  };
}

export interface User {
  id?: string;
  identifier: string;
  display_name?: string | null;
  metadata?: Record<string, unknown>;
}

export interface ToastItem {
  id: number;
  message: string;
  type: 'info' | 'success' | 'warning' | 'error';
}

export interface ThreadPage {
  pageInfo: { hasNextPage: boolean; startCursor?: string | null; endCursor?: string | null };
  data: ThreadDict[];
}
