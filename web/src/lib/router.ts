// A small history router: the routes of Chainlit's UI under the og:root_path base.

import { useSyncExternalStore } from 'react';
import { basePath } from './api';

export type Route =
  | { name: 'chat' }
  | { name: 'thread'; id: string }
  | { name: 'share'; id: string }
  | { name: 'element'; id: string }
  | { name: 'login' }
  | { name: 'loginCallback' }
  | { name: 'env' }
  /** The chat inside the copilot widget's iframe (/copilot/index.js on a host page). */
  | { name: 'copilot' };

const listeners = new Set<() => void>();

function currentPath(): string {
  const path = window.location.pathname;
  const rest = basePath && path.startsWith(basePath) ? path.slice(basePath.length) : path;
  return rest || '/';
}

export function parseRoute(path: string): Route {
  const clean = path.replace(/\/+$/, '') || '/';
  let match = /^\/thread\/([^/]+)$/.exec(clean);
  if (match) return { name: 'thread', id: decodeURIComponent(match[1]) };
  match = /^\/share\/([^/]+)$/.exec(clean);
  if (match) return { name: 'share', id: decodeURIComponent(match[1]) };
  match = /^\/element\/([^/]+)$/.exec(clean);
  if (match) return { name: 'element', id: decodeURIComponent(match[1]) };
  if (clean === '/login') return { name: 'login' };
  if (clean === '/login/callback') return { name: 'loginCallback' };
  if (clean === '/env') return { name: 'env' };
  if (clean === '/copilot/frame') return { name: 'copilot' };
  return { name: 'chat' };
}

let snapshotPath = currentPath();
let snapshot: Route = parseRoute(snapshotPath);

function refresh(): void {
  const path = currentPath();
  if (path !== snapshotPath) {
    snapshotPath = path;
    snapshot = parseRoute(path);
  }
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', refresh);

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = `${basePath}${path}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  refresh();
}

export function getRoute(): Route {
  return snapshot;
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}

export function searchParam(name: string): string | null {
  return new URLSearchParams(window.location.search).get(name);
}
