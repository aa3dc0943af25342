// The chat's side of the copilot widget: it runs in an iframe of a host page that
// loaded /copilot/index.js (see widget.ts).

import { apiUrl } from '../lib/api';
import { uuid4 } from '../lib/uuid';
import type { ChatSession } from '../session/session';
import { COPILOT_TAG, isCopilotMessage, type CopilotMessage } from './protocol';

/** The app waits for a CopilotFunction's answer at most this long (Chainlit's default). */
const CALL_TIMEOUT_MS = 300_000;

export function inCopilotFrame(): boolean {
  return window.parent !== window;
}

function toHost(message: CopilotMessage): void {
  // The host page is any site that embeds the widget; what goes out is only what the
  // app chose to hand to the page.
  window.parent.postMessage(message, '*');
}

const pending = new Map<string, (result: unknown) => void>();

/** Ask the host page to run a CopilotFunction; resolves with what its handler returned. */
export function callHost(name: string, args: Record<string, unknown>): Promise<unknown> {
  const id = uuid4();
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => {
      pending.delete(id);
      resolve({ error: `the host page did not answer ${name}` });
    }, CALL_TIMEOUT_MS);
    pending.set(id, (result) => {
      window.clearTimeout(timer);
      pending.delete(id);
      resolve(result);
    });
    toHost({ [COPILOT_TAG]: 'call_fn', id, name, args });
  });
}

export function reportThread(threadId: string | null): void {
  if (inCopilotFrame()) toHost({ [COPILOT_TAG]: 'thread', threadId });
}

/** Take the host page's requests: send a message, start over, answers to calls. */
export function listenToHost(session: ChatSession): () => void {
  const onMessage = (event: MessageEvent) => {
    if (event.source !== window.parent || !isCopilotMessage(event.data)) return;
    const message = event.data;
    switch (message[COPILOT_TAG]) {
      case 'call_fn_result':
        pending.get(message.id)?.(message.result);
        break;
      case 'send':
        if (message.text.trim()) session.sendMessage({ text: message.text });
        break;
      case 'new_chat':
        void session.reset();
        reportThread(null);
        break;
      default:
        break;
    }
  };
  window.addEventListener('message', onMessage);
  return () => window.removeEventListener('message', onMessage);
}

/** Where the widget puts its `accessToken` for the frame: the fragment, never sent to a server. */
export const TOKEN_FRAGMENT = 'access_token';

/**
 * The widget's `accessToken` (a JWT signed with the app's auth secret), handed over in
 * the frame's URL fragment: taken out of the address at once, and exchanged for the
 * session cookie (POST /auth/jwt) unless someone is signed in already, as Chainlit's
 * copilot does. Resolves once done; a refused token leaves the frame signed out.
 */
export async function takeAccessToken(signedIn: () => Promise<boolean>): Promise<void> {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = fragment.get(TOKEN_FRAGMENT);
  if (!token) return;
  fragment.delete(TOKEN_FRAGMENT);
  const rest = fragment.toString();
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  if (await signedIn()) return;
  const response = await fetch(apiUrl('/auth/jwt'), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) console.warn(`the copilot's access token was refused (${response.status})`);
}
