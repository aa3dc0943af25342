import { createContext, useContext } from 'react';
import type { ChatSession } from './session/session';
import type { AuthConfig, ProjectSettings, UserRef } from './types';

export interface AppContextValue {
  authConfig: AuthConfig;
  user: UserRef | null;
  settings: ProjectSettings;
  session: ChatSession;
  /** Shared or non-resumable threads: nothing can be sent. */
  readOnly: boolean;
  historyEnabled: boolean;
  /** Inside the copilot widget's iframe: no history, no navigation. */
  embedded: boolean;
  refreshThreads: () => void;
  threadsVersion: number;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppContext');
  return value;
}
