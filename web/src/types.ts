// The UI's types. Wire shapes come from the pydantic schema: schema.gen.ts, written by
// `make schema`. Declared here is only what the schema does not model: the UI's own state,
// the shapes it leaves free-form (chat settings widgets, commands, modes: `Record<string,
// unknown>` on the wire) and the settings and auth config REST answers (reference §2).

import type { StepDict, ToastPayload } from './schema.gen';

export type * from './schema.gen';

/** A step as the message tree holds it: keyed by its id, its output always a string. */
export type Step = StepDict & { id: string; output: string };

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
  audio?: {
    enabled: boolean;
    sample_rate: number;
    // Voice activity detection (Chainlit 1.x keys; absent: record until stopped).
    min_decibels?: number;
    initial_silence_timeout?: number;
    silence_timeout?: number;
    max_duration?: number;
  };
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

export interface ToastItem {
  id: number;
  message: string;
  type: NonNullable<ToastPayload['type']>;
}
