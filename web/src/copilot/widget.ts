// The copilot widget: a host page loads `<server>/copilot/index.js` and calls
// `window.mountChainlitWidget({ chainlitServer })`. A button opens the chat, which runs
// in an iframe of the server's own UI (`/copilot/frame`); this script bridges the host
// page and that chat: CopilotFunction calls (the `chainlit-call-fn` event), window
// messages both ways, sendChainlitMessage and the thread id.

import { COPILOT_TAG, isCopilotMessage, messageText, type CopilotMessage } from './protocol';

export interface ButtonStyle {
  size?: string;
  bgcolor?: string;
  color?: string;
  bgcolorHover?: string;
  borderColor?: string;
  borderWidth?: string;
  borderStyle?: string;
  borderRadius?: string;
  boxShadow?: string;
}

export interface WidgetConfig {
  chainlitServer: string;
  /** A JWT signed with the app's auth secret: signs the chat in (POST /auth/jwt). */
  accessToken?: string;
  /** A stylesheet for the widget's own elements (launcher, panel), in its shadow root. */
  customCssUrl?: string;
  theme?: 'light' | 'dark';
  language?: string;
  opened?: boolean;
  expanded?: boolean;
  displayMode?: 'floating' | 'sidebar';
  button?: {
    containerId?: string;
    imageUrl?: string;
    style?: ButtonStyle;
  };
}

export interface CallFnDetail {
  name: string;
  args: Record<string, unknown>;
  callback: (result: unknown) => void;
}

declare global {
  interface Window {
    mountChainlitWidget?: (config: WidgetConfig) => void;
    unmountChainlitWidget?: () => void;
    toggleChainlitCopilot?: () => void;
    sendChainlitMessage?: (message: unknown) => void;
    getChainlitCopilotThreadId?: () => string | null;
    clearChainlitCopilotThreadId?: () => void;
  }
}

const CSS = `
:host { all: initial; }
.launcher {
  position: fixed; inset-inline-end: 24px; bottom: 24px; z-index: 2147483000;
  width: var(--size, 56px); height: var(--size, 56px);
  background: var(--bg, #2563eb); color: var(--fg, #fff); cursor: pointer;
  display: flex; align-items: center; justify-content: center;
  box-shadow: var(--shadow, 0 4px 14px rgba(0, 0, 0, 0.25));
  border-color: var(--border-color, transparent); border-width: var(--border-width, 0);
  border-style: var(--border-style, solid); border-radius: var(--radius, 50%);
}
.launcher:hover { background: var(--bg-hover, var(--bg, #2563eb)); }
.launcher:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
.launcher img { width: 60%; height: 60%; object-fit: contain; }
.panel {
  position: fixed; inset-inline-end: 24px; bottom: 92px; z-index: 2147483000;
  width: min(420px, calc(100vw - 48px)); height: min(640px, calc(100vh - 120px));
  border-radius: 12px; overflow: hidden; background: #fff;
  box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3);
}
.panel.expanded { width: min(860px, calc(100vw - 48px)); height: calc(100vh - 120px); }
.panel.sidebar { inset-inline-end: 0; bottom: 0; top: 0; height: 100vh; border-radius: 0; }
.panel[hidden] { display: none; }
iframe { width: 100%; height: 100%; border: 0; display: block; }
`;

const CHAT_ICON =
  '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
const CLOSE_ICON =
  '<svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M18 6 6 18M6 6l12 12"/></svg>';

interface Mounted {
  host: HTMLElement;
  frame: HTMLIFrameElement;
  origin: string;
  threadId: string | null;
  toggle: (open?: boolean) => void;
  onMessage: (event: MessageEvent) => void;
}

let mounted: Mounted | null = null;

function post(target: Mounted, message: CopilotMessage): void {
  target.frame.contentWindow?.postMessage(message, target.origin);
}

function mount(config: WidgetConfig): void {
  if (mounted) unmount();
  const server = new URL(config.chainlitServer, window.location.href);
  const base = server.href.replace(/\/+$/, '');
  const frameUrl = new URL(`${base}/copilot/frame`);
  if (config.language) frameUrl.searchParams.set('language', config.language);
  if (config.theme) frameUrl.searchParams.set('theme', config.theme);
  // In the fragment: it never reaches a server or a log; the frame takes it out at once.
  if (config.accessToken) frameUrl.hash = new URLSearchParams({ access_token: config.accessToken }).toString();

  const host = document.createElement('div');
  host.id = 'chainlit-copilot';
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = CSS;
  const panel = document.createElement('div');
  panel.className = `panel${config.expanded ? ' expanded' : ''}${config.displayMode === 'sidebar' ? ' sidebar' : ''}`;
  panel.hidden = true;
  const frame = document.createElement('iframe');
  frame.title = 'Chat';
  frame.allow = 'microphone; clipboard-write';
  frame.src = frameUrl.href;
  panel.append(frame);

  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'launcher';
  button.setAttribute('aria-expanded', 'false');
  const look = config.button?.style;
  const properties: [keyof ButtonStyle, string][] = [
    ['size', '--size'],
    ['bgcolor', '--bg'],
    ['color', '--fg'],
    ['bgcolorHover', '--bg-hover'],
    ['borderColor', '--border-color'],
    ['borderWidth', '--border-width'],
    ['borderStyle', '--border-style'],
    ['borderRadius', '--radius'],
    ['boxShadow', '--shadow'],
  ];
  for (const [key, property] of properties) {
    const value = look?.[key];
    if (typeof value === 'string' && value) button.style.setProperty(property, value);
  }

  const state: Mounted = {
    host,
    frame,
    origin: server.origin,
    threadId: null,
    toggle: (open: boolean = panel.hidden !== false) => {
      panel.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      button.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
      if (open) button.innerHTML = CLOSE_ICON;
      else if (config.button?.imageUrl) {
        button.innerHTML = '';
        const image = document.createElement('img');
        image.src = config.button.imageUrl;
        image.alt = '';
        button.append(image);
      } else button.innerHTML = CHAT_ICON;
      if (open) frame.focus();
    },
    onMessage: (event: MessageEvent) => {
      if (event.source === frame.contentWindow) {
        // From the chat: bridge messages are ours; the app's send_window_message
        // reaches the host page's own listeners as it is.
        if (event.origin !== state.origin || !isCopilotMessage(event.data)) return;
        const message = event.data;
        if (message[COPILOT_TAG] === 'thread') state.threadId = message.threadId;
        if (message[COPILOT_TAG] === 'call_fn') {
          const { id, name, args } = message;
          let answered = false;
          const detail: CallFnDetail = {
            name,
            args,
            callback: (result) => {
              if (answered) return;
              answered = true;
              post(state, { [COPILOT_TAG]: 'call_fn_result', id, result });
            },
          };
          window.dispatchEvent(new CustomEvent<CallFnDetail>('chainlit-call-fn', { detail }));
        }
        return;
      }
      // What the host page posts to itself goes to the app's on_window_message.
      if (isCopilotMessage(event.data)) return;
      frame.contentWindow?.postMessage(event.data, state.origin);
    },
  };
  button.addEventListener('click', () => state.toggle());
  window.addEventListener('message', state.onMessage);
  root.append(style, panel, button);
  if (config.customCssUrl) {
    // After our own rules, so that the page's win.
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL(config.customCssUrl, window.location.href).href;
    root.append(link);
  }
  const container = config.button?.containerId ? document.getElementById(config.button.containerId) : null;
  (container ?? document.body).append(host);
  mounted = state;
  state.toggle(!!config.opened);
}

function unmount(): void {
  if (!mounted) return;
  window.removeEventListener('message', mounted.onMessage);
  mounted.host.remove();
  mounted = null;
}

window.mountChainlitWidget = mount;
window.unmountChainlitWidget = unmount;
window.toggleChainlitCopilot = () => mounted?.toggle();
window.sendChainlitMessage = (message: unknown) => {
  if (mounted) post(mounted, { [COPILOT_TAG]: 'send', text: messageText(message) });
};
window.getChainlitCopilotThreadId = () => mounted?.threadId ?? null;
window.clearChainlitCopilotThreadId = () => {
  if (!mounted) return;
  mounted.threadId = null;
  post(mounted, { [COPILOT_TAG]: 'new_chat' });
};
