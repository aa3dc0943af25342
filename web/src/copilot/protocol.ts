// Messages between the copilot widget on a host page and the chat in its iframe. Every
// one carries this tag, so neither side takes them for the app's own window messages.

export const COPILOT_TAG = '__switchboardCopilot';

export type CopilotMessage =
  /** frame → host: the app called a CopilotFunction; answer with call_fn_result. */
  | { [COPILOT_TAG]: 'call_fn'; id: string; name: string; args: Record<string, unknown> }
  /** host → frame */
  | { [COPILOT_TAG]: 'call_fn_result'; id: string; result: unknown }
  /** frame → host: the conversation got (or lost) its thread. */
  | { [COPILOT_TAG]: 'thread'; threadId: string | null }
  /** host → frame: window.sendChainlitMessage */
  | { [COPILOT_TAG]: 'send'; text: string }
  /** host → frame: window.clearChainlitCopilotThreadId */
  | { [COPILOT_TAG]: 'new_chat' };

export function isCopilotMessage(data: unknown): data is CopilotMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as Record<string, unknown>)[COPILOT_TAG] === 'string'
  );
}

/** The text of what a host page hands to sendChainlitMessage: a string or a step-like object. */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message && typeof message === 'object') {
    const { output, content } = message as { output?: unknown; content?: unknown };
    if (typeof output === 'string') return output;
    if (typeof content === 'string') return content;
  }
  return '';
}
